"""Platform detection and the install commands of the set-up, one test per family.

The decisions are pure functions of /etc/os-release and the kernel name, so every platform's
branch runs here on any machine; tests/integration/devstack/test_setup.py runs the set-up itself
with fake package managers.
"""

from __future__ import annotations

import pytest

from devstack.host import FAMILIES, detect_host, install_commands, install_line, parse_os_release

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n'
ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
ARCH = 'NAME="Arch Linux"\nID=arch\n'
TUMBLEWEED = 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n'
ALPINE = 'NAME="Alpine Linux"\nID=alpine\n'
NIXOS = 'NAME=NixOS\nID=nixos\nPRETTY_NAME="NixOS 24.05"\n'
PY = (3, 11)


def test_os_release_values_may_be_quoted_and_comments_are_skipped():
    text = "# comment\nID=\"fedora\"\nNAME='Fedora Linux'\nEMPTY=\n\nbroken line\n"
    assert parse_os_release(text) == {"ID": "fedora", "NAME": "Fedora Linux", "EMPTY": ""}


@pytest.mark.parametrize(
    ("os_release", "kernel", "family"),
    [
        (DEBIAN, "Linux", "debian"),
        (UBUNTU, "Linux", "ubuntu"),
        (MINT, "Linux", "ubuntu"),
        (FEDORA, "Linux", "fedora"),
        (ROCKY, "Linux", "fedora"),
        (ARCH, "Linux", "arch"),
        (TUMBLEWEED, "Linux", "suse"),
        (ALPINE, "Linux", "alpine"),
        ("", "Darwin", "macos"),
    ],
)
def test_each_family_is_recognised_from_its_id_or_id_like(os_release, kernel, family):
    assert detect_host(os_release, kernel).family == FAMILIES[family]


@pytest.mark.parametrize(("os_release", "kernel"), [(NIXOS, "Linux"), ("", "FreeBSD")])
def test_unknown_systems_have_no_family_but_a_name(os_release, kernel):
    host = detect_host(os_release, kernel)
    assert host.family is None
    assert host.description in ("NixOS 24.05", "FreeBSD")


@pytest.mark.parametrize(
    ("os_release", "kernel", "root", "need", "line"),
    [
        (DEBIAN, "Linux", False, "java", "sudo apt-get install openjdk-17-jre-headless"),
        (DEBIAN, "Linux", True, "browser", "apt-get install chromium"),
        (DEBIAN, "Linux", False, "venv", "sudo apt-get install python3.11-venv"),
        (UBUNTU, "Linux", False, "browser", "sudo apt-get install chromium-browser"),
        (FEDORA, "Linux", False, "java", "sudo dnf install java-17-openjdk-headless"),
        ("", "Darwin", False, "java", "brew install openjdk@17"),
        ("", "Darwin", False, "browser", "brew install --cask google-chrome"),
        (ARCH, "Linux", False, "java", "sudo pacman -S jre17-openjdk-headless"),
        (TUMBLEWEED, "Linux", False, "java", "sudo zypper install java-17-openjdk-headless"),
        (ALPINE, "Linux", True, "java", "apk add openjdk17-jre-headless"),
    ],
)
def test_the_one_line_to_install_each_need(os_release, kernel, root, need, line):
    host = detect_host(os_release, kernel)
    assert install_line(host, need, root=root, python_version=PY) == line


def test_without_a_known_family_the_line_names_what_to_install_and_where():
    host = detect_host(NIXOS, "Linux")
    assert "Temurin 17" in install_line(host, "java", root=False, python_version=PY)
    assert "JAVA_HOME" in install_line(host, "java", root=False, python_version=PY)
    # Fedora ships venv with Python: nothing to install from dnf, so the generic advice.
    fedora = detect_host(FEDORA, "Linux")
    assert "python.org" in install_line(fedora, "venv", root=False, python_version=PY)


def test_apt_refreshes_once_then_installs_each_need_non_interactively_through_sudo():
    commands = install_commands(
        FAMILIES["debian"], ["java", "browser"], root=False, python_version=PY
    )
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    sudo = ["sudo", "DEBIAN_FRONTEND=noninteractive", "apt-get", *lock]
    flags = ["install", "-y", "-qq", "--no-install-recommends"]
    assert commands == [
        (None, [*sudo, "update", "-qq"]),
        ("java", [*sudo, *flags, "openjdk-17-jre-headless"]),
        ("browser", [*sudo, *flags, "chromium"]),
    ]


def test_root_runs_the_package_manager_without_sudo():
    commands = install_commands(FAMILIES["fedora"], ["java"], root=True, python_version=PY)
    assert commands == [("java", ["dnf", "install", "-y", "java-17-openjdk-headless"])]


def test_homebrew_never_uses_sudo_and_installs_the_browser_as_a_cask():
    commands = install_commands(
        FAMILIES["macos"], ["java", "browser"], root=False, python_version=PY
    )
    assert commands == [
        ("java", ["brew", "install", "openjdk@17"]),
        ("browser", ["brew", "install", "--cask", "google-chrome"]),
    ]
