#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (docker-compose.yml mounts it in /docker-entrypoint.d/):
# writes the allow/deny lines nginx.conf includes in `location /admin/` from ADMIN_NETWORKS (networks separated by
# commas or spaces). Empty, the default, writes none: the admin's login is reachable from anywhere (docs/SECURITY.md).
set -eu
out="${ADMIN_NETWORKS_CONF:-/etc/nginx/admin-networks.conf}"
: > "$out"
for network in $(echo "${ADMIN_NETWORKS:-}" | tr ',' ' '); do
    echo "allow $network;" >> "$out"
done
if [ -s "$out" ]; then
    echo "deny all;" >> "$out"
fi
