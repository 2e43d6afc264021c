# syntax=docker/dockerfile:1
# Voronka: a static binary in a minimal image, running as a non-root user.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/voronka/voronka/cmd/internal/app.Version=${VERSION}" \
      -o /out/voronka ./cmd/voronka

FROM gcr.io/distroless/static-debian12:nonroot
# The flows and the example config are embedded in the binary; mount your
# own at /etc/voronka and point VORONKA_CONFIG at it to change them.
COPY --from=build /out/voronka /usr/local/bin/voronka
USER nonroot:nonroot
ENV HTTP_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/voronka"]
CMD ["serve", "--migrate"]
