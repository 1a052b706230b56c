# syntax=docker/dockerfile:1
# Build a static binary, then run it on a distroless non-root base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/signpost . && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/signpost /signpost
# An empty data directory owned by the runtime user, so a fresh volume is writable.
COPY --from=build --chown=nonroot:nonroot /out/data /data
# The embedded store lives here; mount a volume to keep it.
ENV SIGNPOST_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/signpost"]
CMD ["serve"]
