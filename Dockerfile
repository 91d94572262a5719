# The vfleet agent image: one peridiod-compatible device per container, its device directory
# bind-mounted on /etc/peridiod (as the Peridio EVK runs peridio/peridiod).
# Build with `vfleet image build [--offline]`: it bundles the agent into simulator/dist/image/ and
# builds this file with the repository as context (.dockerignore sends only that directory).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
# 0 skips apt: the offline base (`docker import` of the host's node and tools) has no registry to use.
ARG WITH_APT=1
RUN if [ "$WITH_APT" = "1" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends \
           wireguard-tools wireguard-go iproute2 u-boot-tools libubootenv-tool swupdate openssh-server \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /etc/peridiod /opt/vfleet \
    && ln -sf /etc/peridiod/fw_env.config /etc/fw_env.config
ENV PERIDIO_CONFIG_FILE=/etc/peridiod/peridio.json
# where the bundle was staged inside the context (each `vfleet image build` stages its own)
ARG AGENT_DIR=simulator/dist/image
COPY ${AGENT_DIR}/agent/ /opt/vfleet/agent/
COPY ${AGENT_DIR}/vfleet-agent /usr/local/bin/vfleet-agent
# exec'd by the wrapper, so node is PID 1 and gets SIGTERM from `docker stop` (main.ts handles it)
ENTRYPOINT ["/usr/local/bin/vfleet-agent"]
