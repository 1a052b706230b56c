// signpost UI behaviour; htmx does the rest.
