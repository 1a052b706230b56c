# syntax=docker/dockerfile:1
# Build a static binary, then run it on a distroless non-root base: no
# shell, no package manager, nothing but the binary and CA certificates.
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
# The embedded store lives here; mount a volume to keep it (single
# replica only: with several, set REDIS_URL or REDIS_ADDRS instead).
ENV SIGNPOST_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
# The binary checks itself (the image has no shell, curl or wget):
# GET http://127.0.0.1:<port of SIGNPOST_ADDR>/readyz, exit 0 on 200.
# start-period covers the first catalog build (seconds with very large
# rule sets, see docs/performance.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/signpost", "healthcheck"]
ENTRYPOINT ["/signpost"]
CMD ["serve"]
