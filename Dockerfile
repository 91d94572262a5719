# The vfleet agent image: one peridiod-compatible device per container, its device directory
# bind-mounted on /etc/peridiod (as the Peridio EVK runs peridio/peridiod).
# Build with `vfleet image build [--offline]`: it bundles the agent into a stage folder of its own
# under simulator/dist/image/ and sends only that folder as the context (AGENT_DIR=.). A plain
# `docker build .` from the repository works too: .dockerignore sends only simulator/dist/image/.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
# 0 skips apt: the offline base (`docker import` of the host's node and tools) has no registry to use.
# sshd is in both (the EVK's pre-up hook starts it for a tunnel to port 22; nothing starts it here),
# with the EVK login peridio/peridio (the offline base brings it in its own passwd and shadow), host
# keys made once per image (the EVK's entrypoint makes them per container), and PAM's loginuid made
# optional: a container without CAP_AUDIT_CONTROL cannot set it and a login must not fail on that.
ARG WITH_APT=1
RUN if [ "$WITH_APT" = "1" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends \
           wireguard-tools wireguard-go iproute2 u-boot-tools libubootenv-tool swupdate openssh-server \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /etc/peridiod /opt/vfleet \
    && ln -sf /etc/peridiod/fw_env.config /etc/fw_env.config \
    && if [ -x /usr/sbin/sshd ]; then \
         if ! id peridio >/dev/null 2>&1; then useradd -m -s /bin/bash peridio && echo 'peridio:peridio' | chpasswd; fi \
         && if [ -f /etc/pam.d/sshd ]; then sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd; fi \
         && mkdir -p /home/peridio /run/sshd && chown peridio:peridio /home/peridio \
         && ssh-keygen -A; \
       fi
ENV PERIDIO_CONFIG_FILE=/etc/peridiod/peridio.json
# where the bundle was staged inside the context (each `vfleet image build` stages its own)
ARG AGENT_DIR=simulator/dist/image
COPY ${AGENT_DIR}/agent/ /opt/vfleet/agent/
COPY ${AGENT_DIR}/vfleet-agent /usr/local/bin/vfleet-agent
# exec'd by the wrapper, so node is PID 1 and gets SIGTERM from `docker stop` (main.ts handles it)
ENTRYPOINT ["/usr/local/bin/vfleet-agent"]
