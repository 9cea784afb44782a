# Sourced in the agent's shell by the installer, from this bundle's folder.
export PROBE_HOME="$(pwd)"
export PROBE_BANNER="probe bundle ready"
echo "installed" > /root/.probe_installed
