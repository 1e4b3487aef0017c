"""Files a roster import in the browser keeps between requests; no Flask.

An uploaded roster waits in a folder between its preview and its confirmation, named by a
random token and checked against its SHA-256, so the confirmation applies exactly the bytes
the admin saw previewed. The activation codes of the new accounts wait there until their one
download, which deletes them. Anything older than `ttl` is deleted by `sweep` (called on
every use), so codes never downloaded do not linger: the admin then reissues codes per
account (docs/ADMIN-ROSTER.md). Every file belongs to the admin who made it.
"""
import hashlib
import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from .roster import write_codes

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
SHA256 = re.compile(r"[0-9a-f]{64}")


class RosterFiles:
    """The folder of staged uploads and pending activation codes."""

    def __init__(self, folder: Path, ttl: timedelta):
        self.folder = Path(folder)
        self.ttl = ttl

    # --- uploads waiting for confirmation ---

    def stage(self, data: bytes, owner: int, filename: str, now: datetime) -> tuple[str, str]:
        """Keep an uploaded roster; returns (token, sha256 of its bytes)."""
        self.sweep(now)
        token, sha = secrets.token_urlsafe(24), hashlib.sha256(data).hexdigest()
        self._write(self._path(token, "upload.csv"), data)
        self._meta(token, "upload", {"owner": owner, "at": now.isoformat(), "sha256": sha,
                                     "filename": filename[:120]})
        return token, sha

    def staged(self, token: str, sha: str, owner: int, now: datetime) -> tuple[Path, dict] | None:
        """The staged file and its record if `token` and `sha` name a live upload of `owner`
        whose bytes still hash to `sha`; else None (expired, someone else's, tampered)."""
        self.sweep(now)
        if not SHA256.fullmatch(sha or ""):
            return None
        meta = self._read_meta(token, "upload")
        path = self._path(token, "upload.csv") if meta else None
        if meta is None or meta["owner"] != owner or meta["sha256"] != sha or not path.exists():
            return None
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            return None
        return path, meta

    def claim(self, token: str, sha: str, owner: int, now: datetime
              ) -> tuple[Path, dict] | None:
        """`staged`, taken out of reach of a second confirmation (a double click, two tabs):
        the file is renamed away atomically, so only one request applies it. `release` puts
        it back when that request does not apply it."""
        found = self.staged(token, sha, owner, now)
        if found is None:
            return None
        path, meta = found
        claimed = self._path(token, f"claimed-{secrets.token_hex(8)}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        if hashlib.sha256(claimed.read_bytes()).hexdigest() != sha:
            claimed.unlink()
            return None
        return claimed, meta

    def release(self, token: str, claimed: Path) -> Path:
        """Put a claimed upload back for another confirmation; returns its path."""
        path = self._path(token, "upload.csv")
        os.rename(claimed, path)
        return path

    def drop(self, token: str) -> None:
        """Delete a staged upload, claimed or not, and its record (applied or refused)."""
        self._path(token, "upload.csv")  # refuses a malformed token before the glob
        for path in self.folder.glob(f"{token}.*"):  # tokens hold no glob characters
            path.unlink(missing_ok=True)

    # --- activation codes, downloadable once ---

    def keep_codes(self, codes: list[tuple[str, str, str]], owner: int, summary: dict,
                   now: datetime) -> str:
        """Keep the new accounts' codes for one download; returns the token naming them."""
        token = secrets.token_urlsafe(24)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_codes(self._path(token, "codes.csv"), codes)
        self._meta(token, "codes", {"owner": owner, "at": now.isoformat(), "count": len(codes),
                                    "summary": summary})
        return token

    def codes_record(self, token: str, owner: int, now: datetime) -> dict | None:
        """What an apply did, and whether its codes can still be downloaded (`available`)."""
        self.sweep(now)
        meta = self._read_meta(token, "codes")
        if meta is None or meta["owner"] != owner:
            return None
        return {**meta, "available": self._path(token, "codes.csv").exists()}

    def take_codes(self, token: str, owner: int, now: datetime) -> bytes | None:
        """The codes file's bytes, once: the file is deleted as it is read; None afterwards."""
        record = self.codes_record(token, owner, now)
        if record is None:
            return None
        taking = self._path(token, f"taking-{secrets.token_hex(8)}")
        try:
            # A rename is atomic: of two simultaneous downloads only one finds the file.
            os.rename(self._path(token, "codes.csv"), taking)
        except FileNotFoundError:
            return None
        try:
            return taking.read_bytes()
        finally:
            taking.unlink()

    # --- housekeeping ---

    def sweep(self, now: datetime) -> None:
        """Delete every file older than the time to live (codes never downloaded included)."""
        if not self.folder.is_dir():
            return
        for meta_path in self.folder.glob("*.json"):
            try:
                at = datetime.fromisoformat(json.loads(meta_path.read_text())["at"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if now - at > self.ttl:
                token = meta_path.name.split(".", 1)[0]
                for path in self.folder.glob(f"{token}.*"):
                    path.unlink(missing_ok=True)

    def _path(self, token: str, suffix: str) -> Path:
        if not TOKEN.fullmatch(token or ""):  # never a path built from a malformed token
            raise KeyError(token)
        return self.folder / f"{token}.{suffix}"

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as out:
            out.write(data)

    def _meta(self, token: str, kind: str, record: dict) -> None:
        self._write(self._path(token, f"{kind}.json"),
                    json.dumps({"kind": kind, **record}, ensure_ascii=False).encode())

    def _read_meta(self, token: str, kind: str) -> dict | None:
        if not TOKEN.fullmatch(token or ""):
            return None
        try:
            meta = json.loads(self._path(token, f"{kind}.json").read_text())
        except (OSError, ValueError):
            return None
        return meta if meta.get("kind") == kind else None
