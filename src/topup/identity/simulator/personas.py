"""The simulator's demo identities: the demo subscribers, and one stranger to test a mismatch.

National register numbers are valid (mod-97 checked with stdnum.be.nn) but belong to nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.be import eid, nn


def national_register_number(*, born_on: dt.date, serial: int) -> str:
    """YYMMDD + a 3-digit serial (odd for men, even for women) + the mod-97 check."""
    first_nine = f"{born_on:%y%m%d}{serial:03d}"
    # From the year 2000 on, the check is computed as if the number were preceded by a 2.
    checked = int(("2" if born_on.year >= 2000 else "") + first_nine)
    return str(nn.validate(f"{first_nine}{97 - checked % 97:02d}"))


@dataclass(frozen=True)
class Persona:
    key: str
    given_name: str
    family_name: str
    born_on: dt.date
    serial: int
    eid_card_number: str

    @property
    def national_register_number(self) -> str:
        return national_register_number(born_on=self.born_on, serial=self.serial)


PERSONAS: tuple[Persona, ...] = (
    Persona("jan", "Jan", "Peeters", dt.date(1985, 3, 14), 1, "591191706458"),
    Persona("li", "Li", "Wei", dt.date(1998, 7, 22), 2, "000001103271"),
    Persona("marie", "Marie", "Dubois", dt.date(2001, 11, 5), 4, "592000012310"),
    Persona("sophie", "Sophie", "Janssens", dt.date(1993, 4, 17), 6, "592000045652"),
)
for _persona in PERSONAS:
    eid.validate(_persona.eid_card_number)


def persona_get(key: str) -> Persona | None:
    return next((persona for persona in PERSONAS if persona.key == key), None)
