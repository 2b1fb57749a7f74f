# syntax=docker/dockerfile:1
# rc-conform as a container image: a release build on the Rust image of the project's MSRV,
# copied into a distroless runtime that runs as a non-root user. TLS is rustls (no OpenSSL);
# the runtime image brings glibc and the CA certificates the platform verifier reads. The suite
# (cases/ and specs/) is compiled into the binary, so the image holds nothing else; mount your
# own cases and pass --cases to run those instead.
#
#   docker build -t rc-conform .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/reports:/work/reports" \
#     -e RC_CONFORM_ADMIN_USER -e RC_CONFORM_ADMIN_PASSWORD \
#     rc-conform run --target https://staging.chat.example.org

ARG RUST_VERSION=1.89

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# The whole crate: Cargo.toml names its test and bench targets, so they must be present
# even though only the binary is built, and build.rs compiles cases/ and specs/ into it.
# .dockerignore keeps target/ and reports/ out.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin rc-conform \
    && install -D -m 0755 target/release/rc-conform /out/usr/local/bin/rc-conform \
    && mkdir -p /out/work/reports

# The same image with BusyBox's shell (/busybox/sh), for CI systems that run a job's script
# inside the image, such as GitLab CI's Docker executor: `docker build --target ci`.
FROM gcr.io/distroless/cc-debian12:debug-nonroot AS ci
COPY --from=build /out/usr/local/bin/rc-conform /usr/local/bin/rc-conform
COPY --from=build --chown=65532:65532 /out/work /work
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["rc-conform"]

# The default target: no shell, nothing but rc-conform, glibc and the CA certificates.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/usr/local/bin/rc-conform /usr/local/bin/rc-conform
# Reports go to /work/reports/<run-id>/ by default; mount a directory there to keep them.
COPY --from=build --chown=65532:65532 /out/work /work
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["rc-conform"]
CMD ["--help"]
