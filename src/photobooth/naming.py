"""Request ids, upload filenames and the S3 key layout of CONTRACT.md."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import PurePosixPath

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
WALL_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_FILENAME_LENGTH = 128  # characters (CONTRACT.md)
MAX_FILENAME_BYTES = 255  # UTF-8 bytes: the longest file name ext4, APFS and NTFS-on-Linux store

PHOTO_PREFIX = "photo/"
WORK_PREFIX = "work/"
GENERATED_PREFIX = "generated/"
WALL_PREFIX = "wall/"  # the event wall's screen-size copies, under an id that is not the request's


class InvalidName(ValueError):
    """A client-supplied name breaks the contract's rules; the message says which."""


# Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed from a screen is not mistaken.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_LENGTH = 6


def short_code(request_id: str) -> str:
    """Six characters a visitor can read to staff from the screen (``K7QF2M``), the same in the console and the
    functions' logs (``requestCode``), for finding the request behind them. A hash of the requestId, so a pad's own
    ids get one too; it names a request among a booth's few thousand, it opens nothing (the requestId does)."""
    number = int.from_bytes(hashlib.sha256(request_id.encode()).digest()[:4], "big") >> 2
    return "".join(_CODE_ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(SHORT_CODE_LENGTH)))


def normalise_code(text: str) -> str:
    """What staff typed, as a code: case, spaces and dashes ignored; O read as 0, I and L as 1."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def new_request_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]


def validate_request_id(request_id: object) -> str:
    if not isinstance(request_id, str) or not REQUEST_ID_PATTERN.fullmatch(request_id):
        raise InvalidName("requestId must be 8-64 characters of letters, digits, '-' or '_'")
    return request_id


def validate_filename(filename: object) -> str:
    """Accept the booth's filename only if it is a plain, printable name: no folders, no ``..``."""
    if not isinstance(filename, str) or not filename.strip():
        raise InvalidName("filename is required")
    if len(filename) > MAX_FILENAME_LENGTH:
        raise InvalidName(f"filename is longer than {MAX_FILENAME_LENGTH} characters")
    if len(filename.encode("utf-8", errors="surrogatepass")) > MAX_FILENAME_BYTES:
        raise InvalidName(f"filename is longer than {MAX_FILENAME_BYTES} bytes in UTF-8")
    if "/" in filename or "\\" in filename or ".." in filename:
        raise InvalidName("filename must not contain path separators or '..'")
    if any(unicodedata.category(ch).startswith("C") for ch in filename):
        raise InvalidName("filename must not contain control characters")
    return filename


def stem_of(filename: str) -> str:
    """The filename without extension, reduced to characters that are safe in an S3 key and a download name."""
    stem = PurePosixPath(filename).stem
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")
    return safe[:64] or "photo"


def photo_key(request_id: str, filename: str) -> str:
    return f"{PHOTO_PREFIX}{request_id}/{filename}"


def request_id_from_photo_key(key: str) -> str:
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != PHOTO_PREFIX.rstrip("/") or not parts[2]:
        raise InvalidName("key must look like photo/{requestId}/{filename}")
    return validate_request_id(parts[1])


def work_input_key(request_id: str) -> str:
    return f"{WORK_PREFIX}{request_id}/input.tiff"


def work_mask_key(request_id: str) -> str:
    return f"{WORK_PREFIX}{request_id}/mask.png"


def generated_key(request_id: str, filename: str, index: int) -> str:
    """``generated/{requestId}/photo_{stem}_{i}.jpeg`` with ``i`` counted from 1 in theme order."""
    return f"{GENERATED_PREFIX}{request_id}/photo_{stem_of(filename)}_{index}.jpeg"


def request_prefixes(request_id: str) -> tuple[str, str, str]:
    return (f"{PHOTO_PREFIX}{request_id}/", f"{WORK_PREFIX}{request_id}/", f"{GENERATED_PREFIX}{request_id}/")


def new_wall_id() -> str:
    """Unrelated to the requestId: a wall copy's key, which anyone watching the wall sees, opens no request."""
    return secrets.token_urlsafe(16)


def validate_wall_id(wall_id: object) -> str:
    if not isinstance(wall_id, str) or not WALL_ID_PATTERN.fullmatch(wall_id):
        raise InvalidName("wallId must be 16-64 characters of letters, digits, '-' or '_'")
    return wall_id


def wall_prefix(wall_id: str) -> str:
    return f"{WALL_PREFIX}{validate_wall_id(wall_id)}/"


def wall_key(wall_id: str, index: int) -> str:
    """``wall/{wallId}/{i}.jpeg``: the screen-size copy of result ``i``."""
    return f"{wall_prefix(wall_id)}{int(index)}.jpeg"
