"""The reporting time zone's country, the default for how the dashboard formats numbers.

IANA's `zone.tab` maps every zone to the ISO 3166 country it is in; it ships with the `tzdata`
package the platform already depends on, so the answer is the same on every host. The dashboard
turns the country into its most used language with the browser's own CLDR data
(`Intl.Locale('und-BR').maximize()` is `pt-Latn-BR`), so no locale table is kept here.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def zone_countries() -> dict[str, str]:
    """IANA zone name -> ISO 3166 alpha-2 country code."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    countries = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            countries[zone] = country
    return countries


def zone_country(zone: str) -> str | None:
    """The country of `zone`, None for zones of no country (`UTC`, `Etc/GMT+3`)."""
    return zone_countries().get(zone)
