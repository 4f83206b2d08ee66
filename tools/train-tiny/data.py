"""Procedural training data for darkroom-tiny: 64x64 shapes with captions.

Every sample is drawn from a small scene description (shape, colour, background,
position, size); the caption is written from that description with one of several
templates, so the model learns words, not template ids. A caption leaves the position or
the size out as often as it names them, and what it leaves out is drawn at random: a
short prompt ("a red circle") then means any place and any size, so different seeds give
different pictures. (The first release tied an unmentioned position to the centre, and
every seed drew the same centred shape.)
"""

import random

import numpy as np
from PIL import Image, ImageDraw

SIZE = 64
SUPERSAMPLE = 4

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (245, 215, 40),
    "orange": (245, 135, 25),
    "purple": (135, 55, 185),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
    "pink": (245, 135, 185),
    "gray": (128, 128, 128),
}
SHAPES = ("circle", "square", "triangle")
# Shape centre as a fraction of the image side.
POSITIONS = {
    "centre": (0.5, 0.5),
    "left": (0.28, 0.5),
    "right": (0.72, 0.5),
    "top": (0.5, 0.28),
    "bottom": (0.5, 0.72),
}
# Half the shape's extent as a fraction of the image side.
SIZES = {"small": 0.12, "medium": 0.185, "large": 0.25}

POSITION_PHRASES = {
    "centre": ["in the centre", "in the center", "in the middle"],
    "left": ["on the left", "at the left", "on the left side"],
    "right": ["on the right", "at the right", "on the right side"],
    "top": ["at the top", "on top", "near the top"],
    "bottom": ["at the bottom", "near the bottom", "on the bottom"],
}
SIZE_WORDS = {"small": ["small", "tiny", "little"], "medium": ["medium"], "large": ["large", "big", "huge"]}
# How often a caption names the position, and the size.
MENTION_POSITION = 0.6
MENTION_SIZE = 0.5
TEMPLATES = [
    "{a} {desc}{pos} on a {bg} background",
    "{a} {desc}{pos} on {bg}",
    "{desc}{pos}, {bg} background",
    "{bg} background with {a} {desc}{pos}",
    "{a} {desc}{pos} against a {bg} backdrop",
    "an image of {a} {desc}{pos} on a {bg} background",
    "a picture of {a} {desc}{pos}, {bg} background",
    "{a} {desc}{pos} over a plain {bg} background",
]
BARE_TEMPLATES = ["{a} {desc}{pos}", "{desc}{pos}", "a picture of {a} {desc}{pos}"]


def random_scene(rng: random.Random) -> dict:
    colour = rng.choice(list(COLOURS))
    background = rng.choice([c for c in COLOURS if c != colour])
    return {
        "shape": rng.choice(SHAPES),
        "colour": colour,
        "background": background,
        "position": rng.choice(list(POSITIONS)),
        "size": rng.choice(list(SIZES)),
    }


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def caption(scene: dict, rng: random.Random) -> str:
    size_word = rng.choice(SIZE_WORDS[scene["size"]]) if rng.random() < MENTION_SIZE else ""
    desc = " ".join(w for w in (size_word, scene["colour"], scene["shape"]) if w)
    pos = " " + rng.choice(POSITION_PHRASES[scene["position"]]) if rng.random() < MENTION_POSITION else ""
    templates = TEMPLATES if scene["mention_background"] else BARE_TEMPLATES
    text = rng.choice(templates).format(a=article(desc), desc=desc, pos=pos, bg=scene["background"])
    return text


# Chinese captions for darkroom-tiny-flow, whose byte-level tokenizer reads any language.
COLOURS_ZH = {
    "red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色", "orange": "橙色",
    "purple": "紫色", "white": "白色", "black": "黑色", "pink": "粉色", "gray": "灰色",
}
SHAPES_ZH = {"circle": "圆形", "square": "正方形", "triangle": "三角形"}
POSITION_PHRASES_ZH = {
    "centre": ["在中间", "在中央"],
    "left": ["在左边", "在左侧"],
    "right": ["在右边", "在右侧"],
    "top": ["在上方", "在顶部"],
    "bottom": ["在下方", "在底部"],
}
SIZE_WORDS_ZH = {"small": ["小的", "小"], "medium": ["中等大小的"], "large": ["大的", "大"]}
TEMPLATES_ZH = ["{bg}背景上有一个{desc}{pos}", "一个{desc}{pos},{bg}背景", "{desc}{pos},背景是{bg}", "{pos}一个{desc},{bg}背景"]
BARE_TEMPLATES_ZH = ["一个{desc}{pos}", "{desc}{pos}"]


def caption_zh(scene: dict, rng: random.Random) -> str:
    size_word = rng.choice(SIZE_WORDS_ZH[scene["size"]]) if rng.random() < MENTION_SIZE else ""
    desc = size_word + COLOURS_ZH[scene["colour"]] + SHAPES_ZH[scene["shape"]]
    pos = rng.choice(POSITION_PHRASES_ZH[scene["position"]]) if rng.random() < MENTION_POSITION else ""
    templates = TEMPLATES_ZH if scene["mention_background"] else BARE_TEMPLATES_ZH
    return rng.choice(templates).format(desc=desc, pos=pos, bg=COLOURS_ZH[scene["background"]])


def jitter(rgb, rng: random.Random, amount: int = 10):
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in rgb)


def draw(scene: dict, rng: random.Random, size: int = SIZE) -> np.ndarray:
    """Renders a scene at 4x and box-filters it down, so edges are antialiased."""
    side = size * SUPERSAMPLE
    image = Image.new("RGB", (side, side), jitter(COLOURS[scene["background"]], rng, 6))
    pen = ImageDraw.Draw(image)
    fx, fy = POSITIONS[scene["position"]]
    cx = (fx + rng.uniform(-0.03, 0.03)) * side
    cy = (fy + rng.uniform(-0.03, 0.03)) * side
    r = SIZES[scene["size"]] * rng.uniform(0.9, 1.1) * side
    fill = jitter(COLOURS[scene["colour"]], rng)
    if scene["shape"] == "circle":
        pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif scene["shape"] == "square":
        s = r * 0.9
        pen.rectangle([cx - s, cy - s, cx + s, cy + s], fill=fill)
    else:
        # Equilateral, pointing up, centred on its bounding box.
        h = r * 1.9
        w = h / 0.866
        pen.polygon([(cx, cy - h / 2), (cx - w / 2, cy + h / 2), (cx + w / 2, cy + h / 2)], fill=fill)
    image = image.resize((size, size), Image.BOX)
    return np.asarray(image, dtype=np.uint8)


def sample(rng: random.Random, chinese: float = 0.0):
    scene = random_scene(rng)
    scene["mention_background"] = rng.random() < 0.9
    # Drawn before the caption, and only when asked, so the English-only data sets stay as they were.
    write = caption_zh if chinese and rng.random() < chinese else caption
    return draw(scene, rng), write(scene, rng)


def dataset(count: int, seed: int, chinese: float = 0.0):
    """`chinese`: the share of captions written in Chinese."""
    rng = random.Random(seed)
    images = np.empty((count, SIZE, SIZE, 3), dtype=np.uint8)
    captions = []
    for i in range(count):
        images[i], text = sample(rng, chinese)
        captions.append(text)
    return images, captions
