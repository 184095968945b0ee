"""The cluster's nginx spreads players' sockets over the web processes by how many each holds: a
browser's page load and its socket, two requests, would go to alternate processes under round robin
and leave one holding every socket."""

import re

from mudserver.cluster import Topology


def test_the_cluster_balances_web_processes_by_open_connections_without_sticky_sessions(tmp_path):
    conf = Topology("127.0.0.1", 8000, [8001, 8002], 1, 1, 9100, tmp_path).nginx_conf().read_text()
    upstream = re.search(r"upstream web \{(.*?)\}", conf, re.S).group(1)
    # Never marked down: a process restarting gets its share back as soon as it listens again.
    assert re.findall(r"^\s*server 127\.0\.0\.1:(\d+) max_fails=0;", upstream, re.M) == ["8001", "8002"]
    assert re.findall(r"^\s*(ip_hash|hash|sticky|least_conn|random)\b", upstream, re.M) == ["least_conn"]
