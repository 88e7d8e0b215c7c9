#!/usr/bin/env python3
"""Draws the firm's artwork: the abstract pictures of content/artwork/ (see its LICENSE.txt).

Original work made for this site, in the theme's palette (src/theme/static/style.css): no text,
no people, nothing taken from elsewhere. Each picture is drawn from a fixed seed, so running the
script again gives the same pictures. They are written at a camera's size (2400 pixels wide) so
that aimsite's responsive images have real work to do.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow numpy
    /tmp/venv/bin/python scripts/artwork.py            # writes content/artwork/*.jpg
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "content" / "artwork"

# The theme's colours, and softer tints of them, as 0..1 RGB.
def rgb(hex_colour):
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255


NAVY = rgb("#13315c")
DEEP = rgb("#0c1f3a")
TEAL = rgb("#0f766e")
SEA = rgb("#3fb8aa")
MIST = rgb("#eef2f6")
PAPER = rgb("#fbfaf8")
SAND = rgb("#f1e4d2")
AMBER = rgb("#e3a45a")


def smooth_noise(rng, width, height, cells_x, cells_y):
    """Noise that varies slowly: a coarse random grid enlarged smoothly, in -1..1."""
    grid = rng.random((cells_y, cells_x)).astype(np.float32)
    picture = Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC)
    field = np.asarray(picture, dtype=np.float64)
    return (field - field.mean()) / (np.abs(field - field.mean()).max() + 1e-9)


def blend(a, b, t):
    """Colours a and b mixed by t (an array of 0..1), as an image."""
    t = np.clip(t, 0, 1)[..., None]
    return a * (1 - t) + b * t


def grain(rng, canvas, strength):
    """The fine, even grain of a photograph, so that gradients do not band."""
    return canvas + rng.normal(0, strength, canvas.shape[:2])[..., None]


def soften(canvas, radius):
    picture = to_image(canvas).filter(ImageFilter.GaussianBlur(radius))
    return np.asarray(picture, dtype=np.float64) / 255


def to_image(canvas):
    return Image.fromarray((np.clip(canvas, 0, 1) * 255 + 0.5).astype(np.uint8), mode="RGB")


def glow(width, height, cx, cy, radius):
    """A soft round light, 1 at its centre fading to 0."""
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot(x - cx, y - cy) / radius
    return np.exp(-(distance**2))


def ridge(rng, width, base, amplitude, waves):
    """The line of a range of hills: a few long waves of random phase."""
    x = np.linspace(0, 1, width)
    line = np.full(width, base, dtype=np.float64)
    for number, share in waves:
        line += amplitude * share * np.sin(2 * np.pi * number * x + rng.uniform(0, 2 * np.pi))
    return line


def horizon(width, height, seed):
    """Layered hills under a wide, pale morning sky: the view once one has climbed."""
    rng = np.random.default_rng(seed)
    y = np.mgrid[0:height, 0:width][0] / height
    canvas = blend(rgb("#c8d7e4"), SAND, (y / 0.62) ** 1.4)
    sun = glow(width, height, width * 0.68, height * 0.44, width * 0.16)
    canvas = blend(canvas, rgb("#f7dcb4"), sun * 0.85)
    canvas = blend(canvas, PAPER, glow(width, height, width * 0.68, height * 0.44, width * 0.035))
    layers = [
        (0.50, rgb("#9fb8c6"), 0.030),
        (0.58, rgb("#6f97a6"), 0.040),
        (0.67, rgb("#3f7480"), 0.045),
        (0.77, TEAL * 0.8 + NAVY * 0.2, 0.050),
        (0.88, NAVY, 0.045),
    ]
    rows = np.arange(height)[:, None]
    for depth, (base, colour, amplitude) in enumerate(layers):
        line = ridge(rng, width, base, amplitude, [(0.7, 1.0), (1.9, 0.35), (4.3, 0.12)])
        below = rows >= (line * height)[None, :]
        # Farther hills fade into the sky's light; each darkens a little towards its foot.
        shade = np.clip((rows / height - line[None, :]) * 2.2, 0, 1)
        hill = blend(np.broadcast_to(colour, canvas.shape), colour * 0.78, shade)
        haze = 0.35 * (1 - depth / len(layers)) * sun[..., None]
        hill = hill * (1 - haze) + rgb("#f7dcb4") * haze
        canvas = np.where(below[..., None], hill, canvas)
    canvas = soften(canvas, 2.2)
    return grain(rng, canvas, 0.010)


def contours(width, height, seed):
    """Lines of equal height on a deep map, one path picked out in amber: a way through."""
    rng = np.random.default_rng(seed)
    field = smooth_noise(rng, width, height, 7, 4) + 0.45 * smooth_noise(rng, width, height, 13, 6)
    y, x = np.mgrid[0:height, 0:width]
    canvas = blend(DEEP, TEAL * 0.55 + NAVY * 0.45, (x / width) * 0.8 + (y / height) * 0.2)
    canvas = blend(canvas, SEA * 0.6 + NAVY * 0.4, glow(width, height, width * 0.78, height * 0.3, width * 0.35) * 0.55)
    levels = 16
    scaled = (field + 1.5) * levels / 2
    gy, gx = np.gradient(scaled)
    steepness = np.hypot(gx, gy) + 1e-6
    distance = np.abs(scaled - np.round(scaled)) / steepness
    line = np.clip(1.6 - distance, 0, 1)
    canvas = blend(canvas, rgb("#8fd3cb"), line * 0.30)
    chosen = np.round(scaled) == np.round(np.median(scaled)) + 1
    canvas = blend(canvas, AMBER, line * chosen * 0.95)
    canvas = soften(canvas, 0.9)
    return grain(rng, canvas, 0.012)


def still_water(width, height, seed):
    """Still water at first light: a low sun, its long reflection, a far shore in mist."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    level = 0.56
    sky = blend(rgb("#d6e3ea"), rgb("#f4e6d4"), (y / (height * level)) ** 1.6)
    sun_x, sun_y = width * 0.36, height * (level - 0.06)
    sky = blend(sky, rgb("#fbe9cf"), glow(width, height, sun_x, sun_y, width * 0.22) * 0.9)
    sky = blend(sky, PAPER, glow(width, height, sun_x, sun_y, width * 0.03))
    shore = ridge(rng, width, level - 0.02, 0.012, [(1.3, 1.0), (3.1, 0.4)])
    canvas = np.where((y / height >= shore[None, :])[..., None], blend(sky, rgb("#7f9fa9"), np.ones((height, width)) * 0.55), sky)
    depth = np.clip((y / height - level) / (1 - level), 0, 1)
    water = blend(rgb("#cfdde3"), TEAL * 0.55 + NAVY * 0.45, depth**0.8)
    ripples = smooth_noise(rng, width, height, 6, 90)
    streak = glow(width, height, sun_x, height * level, width * 0.08)
    streak = np.clip(streak * height / np.maximum(1, np.abs(y - height * level) * 0.25 + height * 0.2), 0, 1)
    water = blend(water, rgb("#f6e2c4"), streak * (0.55 + 0.45 * ripples) * (1 - depth) ** 0.5)
    water = water + (ripples * 0.025 * (0.3 + depth))[..., None]
    canvas = np.where((y / height >= level)[..., None], water, canvas)
    canvas = soften(canvas, 2.0)
    return grain(rng, canvas, 0.010)


PICTURES = [
    # (file, width, height, drawing, seed)
    ("horizon.jpg", 2400, 1800, horizon, 18),
    ("contours.jpg", 2400, 800, contours, 7),
    ("still-water.jpg", 2400, 800, still_water, 3),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, width, height, draw, seed in PICTURES:
        to_image(draw(width, height, seed)).save(
            OUT / name, "JPEG", quality=84, optimize=True, progressive=True, subsampling="4:2:0"
        )
        print(f"{OUT / name}: {width} x {height}, {(OUT / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
