"""Small test images built in memory: a real PNG and JPEG, and files that only pretend."""
import io

from PIL import Image


def png(width: int = 64, height: int = 48) -> bytes:
    """A valid PNG of the given size."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    """A valid JPEG of the given size."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 30, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
       b'<script>alert(1)</script></svg>')
TEXT = "这不是照片，只是改了扩展名的文本文件。".encode()
