"""Captcha images: a short code drawn as a distorted PNG, handed out as a data URL."""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from typing import Protocol

# No 0/O, 1/I/L: a person must be able to read every code.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 5


@dataclass(frozen=True)
class CaptchaChallenge:
    answer: str
    image_data_url: str


class CaptchaFactory(Protocol):
    def create(self) -> CaptchaChallenge: ...


class ImageCaptchaFactory:
    def create(self) -> CaptchaChallenge:
        answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        return CaptchaChallenge(answer=answer, image_data_url=render_png_data_url(answer))


def render_png_data_url(text: str) -> str:
    # Pillow here, not at the top: ~30 ms of every process's start, for the first captcha.
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = secrets.SystemRandom()
    image = Image.new("RGB", (200, 70), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    for i, char in enumerate(text):
        glyph = Image.new("L", (50, 60), 0)
        ImageDraw.Draw(glyph).text((8, 4), char, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC)
        colour = (rng.randint(0, 90), rng.randint(0, 90), rng.randint(60, 140))
        image.paste(Image.new("RGB", glyph.size, colour), (8 + i * 37, rng.randint(0, 10)), glyph)
    for _ in range(6):
        points = [(rng.randint(0, 200), rng.randint(0, 70)) for _ in range(2)]
        draw.line(points, fill=(rng.randint(80, 180),) * 3, width=2)
    image = image.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
