"""Photo-like images generated per seed for the evidence-check tests and the bench: varied content, not near copies."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A random "photo": a sky-to-ground gradient with random colours and horizon, shapes, then noise and blur."""
    rng = random.Random(seed)
    w, h = size
    top, bottom, ground = (np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32) for _ in range(3))
    horizon = rng.uniform(0.2, 0.8)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    sky = top + (bottom - top) * np.clip(t / horizon, 0, 1)
    land = ground * (0.7 + 0.3 * (t - horizon))
    column = np.where(t < horizon, sky, land)  # h × 3
    img = Image.fromarray(np.repeat(column[:, None, :], w, axis=1).clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(6, 18)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randint(20, w // 2), y0 + rng.randint(20, h // 2)
        fill = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("rect", "ellipse", "poly", "line"))
        if shape == "rect":
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        elif shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif shape == "poly":
            draw.polygon([(rng.randrange(w), rng.randrange(h)) for _ in range(rng.randint(3, 6))], fill=fill)
        else:
            draw.line((x0, y0, x1, y1), fill=fill, width=rng.randint(3, 25))
    noise = np.random.default_rng(seed).normal(0.0, rng.uniform(4, 16), (h, w, 3))
    img = Image.fromarray((np.asarray(img, dtype=np.float32) + noise).clip(0, 255).astype(np.uint8))
    return img.filter(ImageFilter.SMOOTH) if rng.random() < 0.5 else img


def jpeg_bytes(img: Image.Image, *, quality: int = 88, taken: str | None = None, camera: str = "") -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if taken:
        exif[306] = taken
    if camera:
        make, _, model = camera.partition(" ")
        exif[0x010F], exif[0x0110] = make, model or make
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def recycled_copy(img: Image.Image, *, crop: float = 0.03, scale: float = 0.6, quality: int = 70) -> Image.Image:
    """What a recycled photo looks like: slightly cropped on every side, resized, re-encoded at lower quality."""
    w, h = img.size
    dx, dy = int(w * crop), int(h * crop)
    cropped = img.crop((dx, dy, w - dx, h - dy))
    resized = cropped.resize((int(cropped.width * scale), int(cropped.height * scale)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    resized.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def banner_photo(text: str, *, seed: int = 7, angle: float = 5.0, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A red banner with white Noto CJK text, rotated, on a photo-like background."""
    img = scene(seed, size)
    font = ImageFont.truetype(str(NOTO_CJK), 60)
    left, top, right, bottom = font.getbbox(text)
    banner = Image.new("RGB", (right - left + 80, bottom - top + 60), (196, 18, 28))
    ImageDraw.Draw(banner).text((40 - left, 30 - top), text, font=font, fill=(255, 246, 220))
    mask = Image.new("L", banner.size, 255).rotate(angle, expand=True)
    banner = banner.rotate(angle, expand=True)
    img.paste(banner, ((size[0] - banner.width) // 2, size[1] // 5), mask)
    return img
