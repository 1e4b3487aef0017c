"""Evidence images for points claims: JPEG or PNG only, the type read from the bytes (never
from the name or the browser's word), dimensions checked, decoded in full by Pillow when it
is installed; stored outside the web root under random names; no Flask."""
import io
import os
import secrets
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

try:  # decoding in full catches a truncated or corrupt image; the header checks stand alone
    from PIL import Image
except ImportError:  # pragma: no cover - Pillow is a declared dependency
    Image = None

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png"}
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MIN_SIDE = 16  # smaller is no photograph of anything
MAX_SIDE = 12000
# JPEG start-of-frame markers (C4 DHT, C8 JPG and CC DAC share the range but are not frames)
SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class EvidenceError(ValueError):
    """The upload is not an acceptable image; the message says why, for the officer."""


@dataclass(frozen=True)
class ImageInfo:
    """What the checks found: the real type, size in bytes and pixel dimensions."""

    mimetype: str
    size: int
    width: int
    height: int

    @property
    def extension(self) -> str:
        """The file extension matching the checked type."""
        return EXTENSIONS[self.mimetype]


def check_image(data: bytes, max_bytes: int, max_pixels: int) -> ImageInfo:
    """The image's checked type and dimensions; EvidenceError for anything else."""
    if not data:
        raise EvidenceError("请选择一张照片作为佐证")
    if len(data) > max_bytes:
        raise EvidenceError(f"照片不能超过 {max_bytes / 1024 / 1024:.1f} MB，请压缩后再传")
    if data.startswith(PNG_MAGIC):
        mimetype, (width, height) = "image/png", _png_size(data)
    elif data.startswith(JPEG_MAGIC):
        mimetype, (width, height) = "image/jpeg", _jpeg_size(data)
    else:
        raise EvidenceError("只接受 JPEG 或 PNG 格式的照片")
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE \
            or width * height > max_pixels:
        raise EvidenceError("照片尺寸不合适（过小或过大）")
    if Image is not None:
        _decode(data, mimetype, width, height)
    return ImageInfo(mimetype, len(data), width, height)


def _png_size(data: bytes) -> tuple[int, int]:
    # The first chunk of every PNG is IHDR: width and height as big-endian 32-bit integers.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise EvidenceError("照片文件已损坏")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG's segments to its frame header, which holds height and width."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in SOF_MARKERS:
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        if length < 2:
            break
        pos += 2 + length
    raise EvidenceError("照片文件已损坏")


def _decode(data: bytes, mimetype: str, width: int, height: int) -> None:
    """Decode every pixel: a file that only starts like an image is refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[PIL_FORMATS[mimetype]]) as image:
                if image.size != (width, height):
                    raise EvidenceError("照片文件已损坏")
                image.load()
    except EvidenceError:
        raise
    except Exception:  # Pillow raises many kinds for a bad file; all mean the same here
        raise EvidenceError("照片文件已损坏或无法识别") from None


def save(folder: str | Path, data: bytes, info: ImageInfo) -> str:
    """Write the checked image under a new random name in `folder`; returns the name."""
    folder = Path(folder)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = secrets.token_hex(16) + info.extension
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return name


def path_of(folder: str | Path, name: str) -> Path:
    """The stored file of `name`; only names this module made (hex + extension) resolve."""
    stem, dot, ext = name.partition(".")
    if len(stem) != 32 or not all(ch in "0123456789abcdef" for ch in stem) \
            or "." + ext not in EXTENSIONS.values():
        raise FileNotFoundError(name)
    return Path(folder) / name


def remove(folder: str | Path, name: str) -> None:
    """Delete a stored file whose claim was never recorded (the transaction failed)."""
    try:
        path_of(folder, name).unlink()
    except FileNotFoundError:
        pass
