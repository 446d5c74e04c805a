"""The parties of a reachability question: sources (compute placed in a VPC) and destinations."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError


def _address(value: str, where: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise InputError(
            where=where,
            expected="an IPv4 or IPv6 address",
            found=repr(value),
            fix="give an address like 10.1.2.10",
        ) from None


@dataclass(frozen=True, slots=True)
class Source:
    """Compute attached to a VPC: a CodeBuild project's vpcConfig, a Lambda's, or one network interface.

    The source may land in any of ``subnet_ids``; without ``address`` it is taken to hold any address of the
    subnet a network interface can get (the first four and the last are reserved by AWS).
    """

    name: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    public_ip: bool = False
    address: str | None = None

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise InputError(
                where=f"source '{self.name}'",
                expected="at least one subnet",
                found="none",
                fix="give the subnets of the vpcConfig",
            )
        if self.address is not None:
            if len(self.subnet_ids) != 1:
                raise InputError(
                    where=f"source '{self.name}'",
                    expected="exactly one subnet when an address is given",
                    found=f"{len(self.subnet_ids)} subnets",
                    fix="give the subnet that holds the address",
                )
            if not isinstance(_address(self.address, f"source '{self.name}'"), ipaddress.IPv4Address):
                raise InputError(
                    where=f"source '{self.name}'",
                    expected="an IPv4 address",
                    found=self.address,
                    fix="IPv6 sources are not modelled; give the IPv4 address",
                )

    @classmethod
    def from_vpc_config(cls, name: str, vpc_config: Mapping[str, Any]) -> Source:
        """Build a source from a CodeBuild (``vpcId``, ``subnets``, ``securityGroupIds``) or Lambda
        (``VpcId``, ``SubnetIds``, ``SecurityGroupIds``) VPC configuration.

        Raises:
            InputError: the configuration lacks a VPC, subnets or security groups.
        """
        vpc_id = vpc_config.get("vpcId", vpc_config.get("VpcId"))
        subnets = vpc_config.get("subnets", vpc_config.get("SubnetIds"))
        groups = vpc_config.get("securityGroupIds", vpc_config.get("SecurityGroupIds"))
        if not isinstance(vpc_id, str) or not subnets or not groups:
            raise InputError(
                where=f"source '{name}' vpcConfig",
                expected="vpcId, subnets and securityGroupIds",
                found=", ".join(sorted(vpc_config)) or "an empty configuration",
                fix="a build outside a VPC has no network placement to analyse; give its VPC configuration",
            )
        return cls(name=name, vpc_id=vpc_id, subnet_ids=tuple(subnets), security_group_ids=tuple(groups))


@dataclass(frozen=True, slots=True)
class Address:
    """A single address (IPv4; IPv6 answers UNVERIFIED)."""

    ip: str

    def __post_init__(self) -> None:
        _address(self.ip, "destination address")

    def __str__(self) -> str:
        return self.ip


@dataclass(frozen=True, slots=True)
class SubnetTarget:
    """Anything placed in a subnet: each network interface in it, or the subnet's network path if empty."""

    subnet_id: str

    def __str__(self) -> str:
        return f"subnet {self.subnet_id}"


@dataclass(frozen=True, slots=True)
class SecurityGroupTarget:
    """Network interfaces in a security group (a data tier). ``subnet_ids`` places a tier that has no
    interface in the backend (an RDS instance in moto) in those subnets with this group."""

    group_id: str
    subnet_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"security group {self.group_id}"


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """An AWS service (``s3``, ``dynamodb``, ``sts``...), reached through a VPC endpoint or the internet.

    ``action``, ``resource`` and ``principal`` are what the endpoint policy is evaluated against.
    """

    service: str
    region: str | None = None
    action: str | None = None
    resource: str | None = None
    principal: str | None = None

    def service_name(self, default_region: str) -> str:
        return f"com.amazonaws.{self.region or default_region}.{self.service}"

    def __str__(self) -> str:
        return f"AWS service {self.service}" + (f" ({self.resource})" if self.resource else "")


@dataclass(frozen=True, slots=True)
class InternetTarget:
    """A host on the internet: one address, or without it any public address."""

    address: str | None = None

    def __post_init__(self) -> None:
        if self.address is not None:
            _address(self.address, "internet address")

    def __str__(self) -> str:
        return f"internet host {self.address}" if self.address else "the internet"


Destination = Address | SubnetTarget | SecurityGroupTarget | ServiceTarget | InternetTarget
