"""Sign-in throttling rules (pure functions; counters live in ``sign_in_throttles``).

Failed sign-ins are counted per key in a one-hour window. Each counter allows a few free failures,
then makes the next attempt wait a delay that doubles with each failure, up to a cap. No counter
locks an account for good:

* ``account``    every failure for an email, from anywhere: at most 100 per hour (setting), and a
  delay capped at one minute, so guessing is slow while the owner waits seconds at worst;
* ``account_ip`` failures for an email from one IP: grows fast (cap 15 minutes), hits the attacker;
* ``ip``         failures from one IP across all emails: slows credential stuffing (300/hour);
* ``device``     failures from a browser that has signed in to this account before (signed
  ``odop_device`` cookie). Such a browser is judged by this counter alone, so an attacker
  hammering an account or sharing a carrier-grade NAT IP cannot lock the owner out.

Registration counts every attempt, successful or not, with the same counters and windows:

* ``register_ip``     attempts from one IP: a few free, then a growing delay, at most 30 an hour
  (a school or a cyber café registering a class still gets through, slowly);
* ``register_email``  attempts for one email: stops mass account creation and "does this email
  have an account?" probing, and the verification emails each attempt would send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.accounts.tokens import digest

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    name: str
    free_failures: int
    base_seconds: float
    max_delay_seconds: float
    max_per_window: int | None = None

    def key(self, *parts: str) -> str:
        return digest(f"{self.name}:" + "|".join(parts))

    def delay(self, failures: int) -> float:
        """Seconds the next attempt must wait after ``failures`` failures in the window."""
        if failures < self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures, 30)
        return float(min(self.max_delay_seconds, self.base_seconds * 2**exponent))

    def wait(
        self,
        failures: int,
        window_started_at: datetime,
        last_failure_at: datetime,
        now: datetime,
    ) -> float:
        if window_started_at <= now - WINDOW:
            return 0.0
        if self.max_per_window is not None and failures >= self.max_per_window:
            return (window_started_at + WINDOW - now).total_seconds()
        ready = last_failure_at + timedelta(seconds=self.delay(failures))
        return max(0.0, (ready - now).total_seconds())


def rules(max_per_account: int, max_per_ip: int) -> dict[str, Rule]:
    return {
        "account": Rule("account", 5, 1, 60, max_per_account),
        "account_ip": Rule("account_ip", 3, 2, 900),
        "ip": Rule("ip", 20, 1, 300, max_per_ip),
        "device": Rule("device", 5, 1, 60, max_per_account),
    }


REGISTRATION_RULES = {
    "register_ip": Rule("register_ip", 10, 1, 300, 30),
    "register_email": Rule("register_email", 3, 2, 900, 10),
}
