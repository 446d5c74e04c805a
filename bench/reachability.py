"""Benchmark: reachability for every source/destination pair of a generated 50-subnet, 200-security-group estate.

Pure model, no backend: the estate is generated from a fixed seed, then every build source is asked about every
security-group tier (tcp 5432), the internet and S3 (tcp 443).

    .venv/bin/python bench/reachability.py [--seed N] [--repeat N]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.network import (
    CidrPeer,
    Destination,
    GatewayEndpoint,
    GroupPeer,
    InternetGateway,
    InternetTarget,
    NaclEntry,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    NetworkModel,
    PeeringConnection,
    PrefixList,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupTarget,
    ServiceTarget,
    Source,
    Subnet,
    Vpc,
    all_pairs,
    reachable_ports,
)

REGION = "eu-west-1"
VPCS = 5
SUBNETS_PER_VPC = 10
GROUPS_PER_VPC = 40
net = ipaddress.IPv4Network


def _rule(rng: random.Random, egress: bool, vpc: int, groups: list[str]) -> SecurityGroupRule:
    protocol = rng.choice(["tcp", "tcp", "tcp", "udp", "-1"])
    low, high = rng.choice([(5432, 5432), (443, 443), (22, 22), (1024, 65535), (8000, 8100), (0, 65535)])
    if protocol == "-1":
        low = high = -1
    choice = rng.random()
    if choice < 0.35 and groups:
        peer: CidrPeer | GroupPeer = GroupPeer(rng.choice(groups))
    elif choice < 0.9:
        other = rng.randrange(VPCS)
        peer = CidrPeer(net(rng.choice([f"10.{other}.0.0/16", f"10.{vpc}.{rng.randrange(SUBNETS_PER_VPC)}.0/24"])))
    else:
        peer = CidrPeer(net("0.0.0.0/0"))
    return SecurityGroupRule(egress, protocol, low, high, peer)


def _acl_entries(rng: random.Random) -> tuple[NaclEntry, ...]:
    out = []
    for egress in (False, True):
        for number in sorted(rng.sample(range(1, 200), rng.randint(3, 8))):
            protocol = rng.choice(["6", "6", "17", "-1"])
            low, high = rng.choice([(5432, 5432), (22, 22), (1024, 65535), (443, 443), (0, 65535)])
            cidr = net(rng.choice(["0.0.0.0/0", f"10.{rng.randrange(VPCS)}.0.0/16", "10.0.0.0/8"]))
            out.append(NaclEntry(number, egress, rng.random() < 0.75, protocol, cidr, None, low, high))
        out.append(NaclEntry(500, egress, True, "-1", net("0.0.0.0/0")))
    return tuple(out)


def build_estate(seed: int) -> tuple[NetworkModel, list[Source], list[Destination]]:
    """Five VPCs of ten subnets peered in a chain, 200 security groups, one build per subnet."""
    rng = random.Random(seed)
    vpcs, subnets, tables, acls, groups, enis, igws, nats, endpoints = [], [], [], [], [], [], [], [], []
    peerings = [
        PeeringConnection(f"pcx-{v}", f"vpc-{v}", f"vpc-{v + 1}", True, REGION, REGION) for v in range(VPCS - 1)
    ]
    s3 = PrefixList("pl-s3", f"com.amazonaws.{REGION}.s3", (net("52.218.0.0/17"), net("3.5.64.0/21")))
    group_ids = {v: [f"sg-{v}-{g}" for g in range(GROUPS_PER_VPC)] for v in range(VPCS)}
    sources: list[Source] = []
    for v in range(VPCS):
        vpc_id = f"vpc-{v}"
        vpcs.append(Vpc(vpc_id, (net(f"10.{v}.0.0/16"),)))
        ids = [f"subnet-{v}-{s}" for s in range(SUBNETS_PER_VPC)]
        subnets += [Subnet(sid, vpc_id, net(f"10.{v}.{s}.0/24")) for s, sid in enumerate(ids)]
        local = Route(RouteTargetKind.LOCAL, "local", net(f"10.{v}.0.0/16"))
        peer_routes = [
            Route(RouteTargetKind.PEERING, p.id, net(f"10.{p.other(vpc_id)[4:]}.0.0/16"))
            for p in peerings
            if p.other(vpc_id)
        ]
        igws.append(InternetGateway(f"igw-{v}", (vpc_id,)))
        nats.append(NatGateway(f"nat-{v}", vpc_id, ids[0]))
        tables.append(
            RouteTable(
                f"rtb-{v}-pub",
                vpc_id,
                (local, Route(RouteTargetKind.INTERNET_GATEWAY, f"igw-{v}", net("0.0.0.0/0"))),
                (ids[0],),
            )
        )
        private = [local, *peer_routes, Route(RouteTargetKind.NAT_GATEWAY, f"nat-{v}", net("0.0.0.0/0"))]
        if v % 2 == 0:
            private.append(Route(RouteTargetKind.GATEWAY_ENDPOINT, f"vpce-{v}", prefix_list_id="pl-s3"))
            endpoints.append(GatewayEndpoint(f"vpce-{v}", vpc_id, s3.name, (f"rtb-{v}-priv",)))
        tables.append(RouteTable(f"rtb-{v}-priv", vpc_id, tuple(private), tuple(ids[1:]), True))
        acls.append(
            NetworkAcl(
                f"acl-{v}",
                vpc_id,
                (
                    NaclEntry(100, False, True, "-1", net("0.0.0.0/0")),
                    NaclEntry(100, True, True, "-1", net("0.0.0.0/0")),
                ),
                (),
                True,
            )
        )
        for a in range(3):
            acls.append(NetworkAcl(f"acl-{v}-{a}", vpc_id, _acl_entries(rng), tuple(ids[1 + a * 3 : 4 + a * 3])))
        for g, gid in enumerate(group_ids[v]):
            peers = group_ids[v] + (group_ids.get(v - 1, []) + group_ids.get(v + 1, []))
            ingress = tuple(_rule(rng, False, v, peers) for _ in range(rng.randint(1, 5)))
            if rng.random() < 0.6:
                egress = (SecurityGroupRule(True, "-1", None, None, CidrPeer(net("0.0.0.0/0"))),)
            else:
                egress = tuple(_rule(rng, True, v, peers) for _ in range(rng.randint(1, 4)))
            groups.append(SecurityGroup(gid, vpc_id, gid, ingress, egress))
            subnet = rng.randrange(1, SUBNETS_PER_VPC)
            address = ipaddress.IPv4Address(f"10.{v}.{subnet}.{10 + g}")
            enis.append(NetworkInterface(f"eni-{v}-{g}", vpc_id, ids[subnet], (address,), (gid,)))
        for s, sid in enumerate(ids):
            build_groups = tuple(rng.sample(group_ids[v], rng.randint(1, 2)))
            sources.append(Source(f"build-{v}-{s}", vpc_id, (sid,), build_groups))
    model = NetworkModel(
        REGION,
        tuple(vpcs),
        tuple(subnets),
        tuple(tables),
        tuple(acls),
        tuple(groups),
        tuple(igws),
        tuple(nats),
        tuple(peerings),
        tuple(endpoints),
        (),
        tuple(enis),
        (s3,),
    )
    destinations: list[Destination] = [SecurityGroupTarget(g.id) for g in groups]
    return model, sources, destinations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    model, sources, destinations = build_estate(args.seed)
    print(
        f"estate: {len(model.vpcs)} VPCs, {len(model.subnets)} subnets, {len(model.security_groups)} security "
        f"groups, {len(model.network_acls)} network ACLs, {len(model.network_interfaces)} interfaces, "
        f"{len(sources)} build sources"
    )
    best = float("inf")
    verdicts: Counter[str] = Counter()
    pairs = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        tiers = all_pairs(model, sources, destinations, "tcp", 5432)
        outside = all_pairs(model, sources, [InternetTarget(), ServiceTarget("s3")], "tcp", 443)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        pairs = len(tiers) + len(outside)
        verdicts = Counter(r.verdict.value for r in (*tiers, *outside))
    print(f"pairs: {pairs} ({len(sources)} sources x {len(destinations) + 2} destinations)")
    print(f"verdicts: {dict(sorted(verdicts.items()))}")
    print(f"total seconds: {best:.3f}")
    print(f"pairs/s: {pairs / best:.0f}")
    start = time.perf_counter()
    sample = [(s, d) for s in sources[:5] for d in destinations[:20]]
    for source, destination in sample:
        reachable_ports(model, source, destination, "tcp")
    elapsed = time.perf_counter() - start
    print(f"any-port questions (tcp 0-65535): {len(sample)} in {elapsed:.3f} s ({len(sample) / elapsed:.0f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
