#!/usr/bin/env python3
"""Deterministic generator for embedcli's sample data.

Everything written here comes from the hand-written templates and word lists in
this file (released as CC0 / public domain); no third-party text is used.

    python sample_data/generate.py            # (re)write all files next to this script
    python sample_data/generate.py --check    # also print corpus statistics
    python sample_data/generate.py --out DIR  # write somewhere else

Pure standard library.  All randomness comes from ``random.Random`` instances
seeded with ``SEED`` plus a fixed per-file offset, so the output is
byte-identical on every run and every platform (``hash()`` is never used).
"""

from __future__ import annotations

import argparse
import re
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path

SEED = 20240521

# one independent random stream per output file
STREAM_CORPUS = 0
STREAM_LABELED = 1
STREAM_LABELED_TEST = 2
STREAM_ANALOGIES = 3

N_CORPUS_LINES = 5500
N_LABELED = 2500
N_LABELED_TEST = 500
LABEL_NOISE = 0.05

FIRST_LINES = ["Hope to see you soon", "Nice to see you again"]

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

IRREGULAR_PLURALS = {
    "mouse": "mice", "sheep": "sheep", "wolf": "wolves", "man": "men", "woman": "women",
    "child": "children", "tooth": "teeth", "knife": "knives", "leaf": "leaves",
    "potato": "potatoes", "tomato": "tomatoes", "hero": "heroes", "goose": "geese",
    "foot": "feet", "stomach": "stomachs", "person": "people", "wife": "wives", "café": "cafés",
}


def plural(noun: str) -> str:
    if " " in noun:  # "launch pad" -> "launch pads"
        head, _, last = noun.rpartition(" ")
        return f"{head} {plural(last)}"
    if noun in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def article(word: str) -> str:
    w = word.lower()
    if w.startswith(("uni", "use", "eu")):
        return "a"
    if w[0] in "aeiou" or w.startswith("hour"):
        return "an"
    return "a"


def zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def verbs(text: str) -> list[tuple[str, str, str, str]]:
    """'bake bakes baked baking; ...' -> [(base, 3sg, past, ing), ...]"""
    out = []
    for item in text.split(";"):
        parts = item.split()
        if parts:
            assert len(parts) == 4, item
            out.append(tuple(parts))
    return out


def words(text: str) -> list[str]:
    return [w.replace("_", " ") for w in text.split()]


def capitalize_first(s: str) -> str:
    for i, ch in enumerate(s):
        if ch.isalpha():
            return s[:i] + ch.upper() + s[i + 1:]
    return s


# ---------------------------------------------------------------------------
# corpus: topics
# ---------------------------------------------------------------------------
# Lists are ordered by intended frequency (first = most frequent, Zipf-like).
# subj  : people (or agents) who act        obj  : things acted on
# tv    : transitive verbs (subj tv obj)     iv   : intransitive verbs (obj iv)
# adj   : adjectives                         place: where it happens
# mass  : obj words that are uncountable ("some rain", never "a rain"/"rains")
# rare  : long-tail objects, drawn rarely (so that --min-count matters)
# extra : topic-specific slot lists; templates: topic-specific templates

TOPICS: dict[str, dict] = {}

TOPICS["food"] = dict(
    weight=1.4,
    subj=words("chef cook baker waiter customer guest"),
    obj=words("bread soup cake pasta rice cheese salad pizza apple tomato potato onion garlic "
              "butter sugar sauce egg noodle carrot lemon cookie pie sandwich pepper salt"),
    mass=set(words("bread soup rice cheese pasta butter sugar sauce garlic salt pepper salad")),
    rare=words("jalapeño croissant lasagna risotto quiche paprika cinnamon nutmeg saffron turnip "
               "crème_brûlée"),
    tv=verbs("cook cooks cooked cooking; bake bakes baked baking; eat eats ate eating; "
             "slice slices sliced slicing; taste tastes tasted tasting; boil boils boiled boiling; "
             "fry fries fried frying; chop chops chopped chopping; serve serves served serving; "
             "stir stirs stirred stirring"),
    iv=verbs("cool cools cooled cooling; simmer simmers simmered simmering; "
             "burn burns burned burning; melt melts melted melting"),
    adj=words("delicious fresh hot sweet spicy salty tasty crispy warm home-made sour creamy juicy bitter"),
    place=words("kitchen oven restaurant café bakery market pot pan"),
    extra=dict(meal=words("breakfast lunch dinner supper")),
    templates=[
        "To make {a_obj}, you need some {obj2}, some {obj3} and a little {obj4}.",
        "The {obj} at the café tastes {adj}.",
        "For {meal} I had {obj} with {obj2}.",
        "Would you like some {adj} {obj}?",
        "The {subj} put the {obj} in the {place} and waited.",
        "This recipe for {obj} is easy: {tv} the {obj2}, add {obj3} and serve it {adj}.",
        "Don't eat the {obj} before {meal}!",
    ],
)

TOPICS["animals"] = dict(
    weight=1.3,
    subj=words("farmer vet owner zookeeper trainer"),
    obj=words("cat dog puppy kitten horse bird rabbit mouse cow sheep pig duck hamster parrot "
              "goat fox wolf lion tiger bear"),
    mass=set(),
    rare=words("hedgehog ferret llama badger otter tortoise squirrel owl gecko"),
    tv=verbs("feed feeds fed feeding; pet pets petted petting; walk walks walked walking; "
             "wash washes washed washing; brush brushes brushed brushing; "
             "train trains trained training; adopt adopts adopted adopting; "
             "groom grooms groomed grooming; chase chases chased chasing"),
    iv=verbs("sleep sleeps slept sleeping; run runs ran running; play plays played playing; "
             "hide hides hid hiding; jump jumps jumped jumping; rest rests rested resting"),
    adj=words("furry cute small big friendly fluffy lazy playful hungry loyal wild tame gentle "
              "noisy four-legged"),
    place=words("barn garden farm zoo yard forest meadow kennel"),
    extra={},
    templates=[
        "The {obj} {ivs} next to the {obj2}.",
        "Our {adj} {obj} loves to {iv} in the {place}.",
        "The {obj} chased the {obj2} around the {place}.",
        "Is that your {obj}? It's so {adj}!",
        "{A_obj} is {a_adj} animal, and {a_obj2} is too.",
        "I have one {obj} and my neighbour has three {objs}.",
        "The {objs} {iv} all day while the {obj2} watches them.",
        "My {obj} doesn't like the {obj2}, but it loves the {objs3}.",
    ],
)

TOPICS["weather"] = dict(
    weight=1.0,
    subj=words("forecaster meteorologist sailor"),
    obj=words("rain snow wind storm sun fog cloud thunder lightning hail frost breeze drizzle "
              "sky temperature rainbow"),
    mass=set(words("rain snow wind fog thunder lightning hail frost drizzle")),
    rare=words("blizzard monsoon hurricane tornado sleet drought heatwave"),
    tv=verbs("predict predicts predicted predicting; forecast forecasts forecast forecasting; "
             "expect expects expected expecting; measure measures measured measuring; "
             "report reports reported reporting; watch watches watched watching"),
    iv=verbs("arrive arrives arrived arriving; start starts started starting; "
             "stop stops stopped stopping; return returns returned returning; "
             "continue continues continued continuing; pass passes passed passing"),
    adj=words("heavy cold warm light strong sunny cloudy windy freezing humid foggy stormy chilly mild"),
    place=words("valley coast hills north south sea island mountains"),
    extra=dict(
        day=words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday"),
        season=words("winter summer spring autumn"),
    ),
    templates=[
        "It was {adj} and {adj2} on {day}.",
        "Tomorrow will be {adj} with {obj} in the {place}.",
        "In {season} we get a lot of {obj} and {obj2}.",
        "The weather forecast says {obj} will {iv} on {day}.",
        "What's the weather like today? It's {adj}, with some {obj}.",
        "The {obj} {ivd} in the night, and by morning the {place} was covered in {obj2}.",
        "After the {obj}, the sky was {adj} and the {obj2} {ivd}.",
    ],
)

TOPICS["sports"] = dict(
    weight=0.9,
    subj=words("player coach referee fan athlete captain goalkeeper"),
    obj=words("ball goal match game football tennis basketball race trophy medal score "
              "whistle net racket helmet season"),
    mass=set(words("football tennis basketball")),
    rare=words("cricket rugby badminton volleyball hockey marathon"),
    tv=verbs("kick kicks kicked kicking; throw throws threw throwing; catch catches caught catching; "
             "win wins won winning; lose loses lost losing; hit hits hit hitting"),
    iv=[],
    adj=words("fast strong skilled professional brilliant fierce exciting final winning "
              "world-class close tired"),
    place=words("stadium field court pitch gym arena track"),
    extra=dict(team=words("Rovers United City Athletic Wanderers"), event=words("match game race final")),
    templates=[
        "The {subj} ran across the {place} and {tvd} the {obj}.",
        "Our team won the {event} with a {adj} goal in the last minute.",
        "The {subjs} trained hard all week before the {adj} {obj}.",
        "{team} lost the {event} but the {subj} was still proud.",
        "Who won the {event}? {team} did, after a {adj} second half.",
        "The referee blew the whistle and the {event} began.",
    ],
)

TOPICS["music"] = dict(
    weight=0.9,
    subj=words("musician singer pianist guitarist drummer composer conductor violinist"),
    obj=words("guitar piano violin drum song melody concert album flute trumpet cello harp chord "
              "rhythm orchestra choir saxophone"),
    mass=set(),
    rare=words("banjo ukulele harpsichord clarinet oboe accordion tuba"),
    tv=verbs("play plays played playing; tune tunes tuned tuning; compose composes composed composing; "
             "record records recorded recording; practise practises practised practising; "
             "perform performs performed performing"),
    iv=[],
    adj=words("loud soft beautiful classical sad quiet famous catchy slow lively acoustic "
              "electric left-handed"),
    place=words("studio theatre hall stage club festival"),
    extra=dict(inst=words("guitar piano violin drum flute trumpet cello harp saxophone"),
               piece=words("song melody tune chord rhythm")),
    templates=[
        "The {subj} played a {adj} {piece} on the {inst}.",
        "She sings while her brother plays the {inst}.",
        "The {inst} and the {inst2} sound {adj} together.",
        "Can you play the {inst}? I only play the {inst2}.",
        "The {subj} tuned the {inst} before the {adj} concert.",
        "Our band needs someone who can play the {inst} or the {inst2}.",
        "Listen to that {adj} {obj}!",
    ],
)

TOPICS["computers"] = dict(
    weight=0.9,
    subj=words("programmer developer engineer tester administrator"),
    obj=words("computer program code laptop keyboard bug server file database screen software "
              "function variable network password algorithm script compiler app website"),
    mass=set(words("code software")),
    rare=words("firmware kernel middleware spreadsheet chatbot router"),
    tv=verbs("write writes wrote writing; debug debugs debugged debugging; "
             "compile compiles compiled compiling; install installs installed installing; "
             "test tests tested testing; fix fixes fixed fixing; delete deletes deleted deleting; "
             "update updates updated updating; download downloads downloaded downloading"),
    iv=verbs("crash crashes crashed crashing; freeze freezes froze freezing; "
             "restart restarts restarted restarting; load loads loaded loading; fail fails failed failing"),
    adj=words("fast slow new old broken secure open-source complex simple buggy efficient modern digital"),
    place=words("office lab terminal repository"),
    extra=dict(lang=words("Python JavaScript Rust Java Linux")),
    templates=[
        "The {subj} writes {lang} code on {a_adj} {obj}.",
        "My {obj} crashed again, so I had to {tv} the {obj2}.",
        "Is the {obj} written in {lang}?",
        "The {subj} updated her résumé after she fixed the {obj}.",
        "If the {obj} {ivs}, restart the {obj2} and check the {obj3}.",
        "Our {subjs} use {lang} and {lang2} to {tv} the {objs}.",
    ],
)

TOPICS["space"] = dict(
    weight=0.7,
    subj=words("astronaut astronomer scientist"),
    obj=words("star planet moon rocket telescope galaxy comet orbit asteroid satellite spaceship "
              "universe meteor nebula"),
    mass=set(),
    rare=words("pulsar supernova exoplanet cosmonaut"),
    tv=verbs("observe observes observed observing; launch launches launched launching; "
             "discover discovers discovered discovering; study studies studied studying; "
             "explore explores explored exploring; photograph photographs photographed photographing"),
    iv=verbs("shine shines shone shining; spin spins spun spinning; glow glows glowed glowing; "
             "drift drifts drifted drifting"),
    adj=words("bright distant huge dark ancient massive red icy rocky faint"),
    place=words("observatory station base launch_pad"),
    extra=dict(planet=words("Mars Jupiter Saturn Venus Mercury Neptune"),
               agency=words("NASA ESA")),
    templates=[
        "{planet} is a {adj} planet far from the Earth.",
        "The {subj} looked through the telescope and saw {planet}.",
        "{agency} will launch a rocket to {planet} next year.",
        "At night the {objs} {iv} above the {place}.",
        "The {obj} moves around the {obj2} in a {adj} orbit.",
        "How far is {planet} from the sun?",
    ],
)

TOPICS["travel"] = dict(
    weight=1.2,
    subj=words("traveller tourist passenger driver guide"),
    obj=words("train bus plane car ticket passport suitcase map hotel bicycle taxi ship boat "
              "luggage flight journey"),
    mass=set(words("luggage")),
    rare=words("tram ferry gondola rickshaw hostel itinerary"),
    tv=verbs("book books booked booking; board boards boarded boarding; miss misses missed missing; "
             "pack packs packed packing; drive drives drove driving; ride rides rode riding; "
             "take takes took taking"),
    iv=verbs("depart departs departed departing; leave leaves left leaving; "
             "arrive arrives arrived arriving"),
    adj=words("late early cheap expensive crowded comfortable long short busy delayed quick long-distance"),
    place=words("station airport platform harbour road"),
    extra=dict(cadj=words("beautiful busy crowded famous historic modern expensive quiet"),
               fadj=words("delicious famous spicy simple excellent")),
    templates=[],  # the capital/country templates live in CAPITAL_TEMPLATES below
)

TOPICS["health"] = dict(
    weight=0.8,
    subj=words("doctor nurse patient surgeon dentist"),
    obj=words("heart lung brain bone muscle blood tooth skin stomach knee medicine pill fever "
              "cough headache vaccine injury"),
    mass=set(words("blood skin medicine")),
    rare=words("tonsil appendix kidney migraine allergy stethoscope"),
    tv=verbs("examine examines examined examining; treat treats treated treating; "
             "heal heals healed healing; check checks checked checking; "
             "x-ray x-rays x-rayed x-raying"),
    iv=verbs("hurt hurts hurt hurting; ache aches ached aching; swell swells swelled swelling"),
    adj=words("healthy sick painful sore weak swollen chronic serious"),
    place=words("hospital clinic pharmacy ward"),
    extra={},
    templates=[
        "The {subj} said my {obj} is {adj} and gave me some {obj2}.",
        "My {obj} {ivs}, so I went to the {place}.",
        "Eat well, sleep well and your {obj} will stay {adj}.",
        "The {subj} examined the patient's {obj} and {obj2}.",
        "Does your {obj} still {iv}?",
    ],
)

# the family topic is built around male/female pairs (for the gender analogies)
GENDER_PAIRS = [
    # male, female, phrases that only this pair uses ({pr}=he/she, {pos}=his/her)
    ("king", "queen", ["sat on {pos} throne in the palace", "wore {pos} golden crown",
                       "ruled the kingdom for many years", "gave a speech to the royal court"]),
    ("prince", "princess", ["rode to the castle on {pos} horse", "will rule the kingdom one day",
                            "lived in the royal castle"]),
    ("man", "woman", ["walked down the street with {pos} umbrella", "was reading a newspaper on the bus",
                      "waited at the bus stop"]),
    ("boy", "girl", ["played with {pos} toys after school", "went to school with {pos} friends",
                     "learned to read at school"]),
    ("father", "mother", ["took the children to school", "read the children a story",
                          "is proud of {pos} children"]),
    ("son", "daughter", ["was born in the spring", "called {pos} parents on Sunday",
                         "is the youngest child in the family"]),
    ("brother", "sister", ["shares a room with {pos} younger sibling", "is two years older than me",
                           "borrowed {pos} sibling's bike"]),
    ("uncle", "aunt", ["visits {pos} nephews every summer", "sent a birthday card to {pos} niece",
                       "tells funny stories at family dinners"]),
    ("husband", "wife", ["has been married for ten years", "bought a wedding ring",
                         "met {pos} spouse at a wedding"]),
    ("grandfather", "grandmother", ["told the grandchildren an old story",
                                    "is eighty years old", "loves {pos} grandchildren"]),
]

FAMILY = dict(
    weight=1.2,
    obj=words("family home house birthday wedding gift letter photo baby child parents cousin"),
    adj=words("happy proud kind old young lovely wise polite angry"),
    tv=verbs("visit visits visited visiting; hug hugs hugged hugging; call calls called calling; "
             "help helps helped helping; meet meets met meeting; thank thanks thanked thanking"),
)

FAMILY_TEMPLATES = [
    "The {m} {phrase}.",
    "The {m} {phrase}.",
    "The {m} {phrase}, and {pr} was very {adj}.",
    "The {m} said that {pr} would {tv} {pos} {rel} on {day}.",
    "{Pr} is {a_adj} {m}, and everyone likes {obj_pr}.",
    "The {m} gave {pos} {rel} a {fobj} for {pos} birthday.",
    "Yesterday the {m} {tvd} {pos} {rel} at home.",
    "\"I'm so {adj}!\" said the {m}.",
    "Every {m} loves {pos} {fobj}.",
]
FAMILY_PAIR_TEMPLATES = [
    "The {male} and the {female} {tvd} their {rel}.",
    "The {male} and the {female} were {adj} at the wedding.",
    "She is the {female} and he is the {male}.",
    "The {female} smiled at the {male}, and the {male} smiled back.",
    "Is he the {male}? No, she is the {female}.",
]
FAMILY_REL = words("family parents children cousin friends neighbours grandchildren")
FAMILY_OBJ = words("gift letter photo cake book")
DAYS = words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")

# capitals and countries (for the capital-country analogies)
CAPITALS = [
    # capital, country, nationality/language adjective
    ("Paris", "France", "French"), ("Berlin", "Germany", "German"), ("Rome", "Italy", "Italian"),
    ("Madrid", "Spain", "Spanish"), ("London", "England", "English"), ("Tokyo", "Japan", "Japanese"),
    ("Moscow", "Russia", "Russian"), ("Cairo", "Egypt", "Egyptian"), ("Athens", "Greece", "Greek"),
    ("Lisbon", "Portugal", "Portuguese"), ("Vienna", "Austria", "Austrian"),
    ("Dublin", "Ireland", "Irish"), ("Warsaw", "Poland", "Polish"), ("Stockholm", "Sweden", "Swedish"),
]
CAPITAL_TEMPLATES = [
    "The capital of {country} is {capital}.",
    "{capital} is the capital of {country}.",
    "{capital} is the capital city of {country}.",
    "We flew to {capital}, the capital of {country}.",
    "{capital} is a big city in {country}.",
    "The streets of {capital} were {cadj} and {cadj2}.",
    "The mayor of {capital} opened a new museum in the city.",
    "The government of {country} met in {capital} on {day}.",
    "People in {country} speak {nat}, and many of them live in {capital}.",
    "Have you ever been to {capital}? It's the most {cadj} city in {country}.",
    "The {subj} took the {obj} from {capital} to {capital2}.",
    "Our {obj} from {capital} to {capital2} was {adj}.",
    "{country} and {country2} are neighbours, but {capital} is far from {capital2}.",
    "In {country}, the {nat} food is {fadj}.",
    "The president of {country} lives in {capital}.",
    "The {subj} booked a hotel in {capital} for the trip to {country}.",
]

GENERIC_TEMPLATES = [
    "The {subj} {tvs} the {obj}.",
    "{A_adj} {subj} {tvd} {a_obj} in the {place}.",
    "Why did the {subj} {tv} the {adj} {obj}?",
    "I don't think the {obj} is {adj} enough.",
    "{Subjs} usually {tv} {objs} in the {place}.",
    "She said, \"This {obj} is too {adj}.\"",
    "It's a well-known fact that {subjs} {tv} {objs}.",
    "My {subj} and I {tvd} {a_adj} {obj} yesterday.",
    "There is {a_adj} {obj} in the {place}, and the {subj} {tvs} it every day.",
    "The {obj} and the {obj2} were both {adj}.",
    "We talked about {objs}, {objs2} and {objs3} all evening.",
    "Can you {tv} the {obj} before the {subj} arrives?",
    "Nobody {tvs} {objs} like our {subj} does.",
    "The {subj} was {tving} the {obj} when the {subj2} came in.",
    "Is the {obj} {adj} or {adj2}?",
    "\"Don't {tv} the {obj}!\" shouted the {subj}.",
    "Every {subj} knows that {a_obj} can be {adj}.",
    "The {adj} {obj} is in the {place}.",
    "After the {obj}, the {subj} {tvd} {a_obj2}.",
    "He'd never seen such {a_adj} {obj} before.",
    "Our {subj} can't {tv} {objs} without {a_obj2}.",
    "Some {subjs} prefer {adj} {objs}, others prefer {adj2} {objs2}.",
    "What {a_adj} {obj}!",
    "The {obj} looked {adj}, but the {obj2} looked even more {adj2}.",
    "It was naïve to think the {obj} would stay {adj}.",
    "The {subj}'s {obj} is {adj}.",
    "Yesterday the {subj} {tvd} three {objs} and {a_obj2}.",
    "How many {objs} does the {subj} {tv} each week?",
    "I can't believe the {obj} is so {adj}.",
    "In the {place}, the {subjs} {tvd} the {objs}.",
    "Where is the {obj}? It's in the {place}.",
    "The {place} was full of {adj} {objs}.",
    "We saw one {cobj} on Monday and two {cobjs} on Tuesday.",
    "A {subj} never {tvs} {a_obj} without thinking.",
    "These {cobjs} are {adj}, but this {cobj2} is {adj2}.",
    "There are many {cobjs} in the {place}, and they are all {adj}.",
    "How many {cobjs} are there? Only one {cobj}.",
    "I like {cobjs}, but I don't like this {cobj2}.",
    "Those {cobjs} were {adj}; that {cobj2} was {adj2}.",
    "One {cobj} is {adj}, but two {cobjs} are {adj2}.",
    "The new {cobj} was next to the other {cobjs}.",
]
GENERIC_IV_TEMPLATES = [
    "The {cobj} {ivs} in the {place}.",
    "The {cobjs} {iv} every day.",
    "When the {obj} {ivd}, the {subj} {tvd} the {obj2}.",
    "\"Why won't the {obj} {iv}?\" asked the {subj}.",
    "Sometimes the {cobjs} {iv}, but the {cobj2} never {ivs}.",
]
LOWERABLE = set(words("The A An My Our Every Some Yesterday Tomorrow Is Can What Why How Where There "
                        "We She He In After When Nobody It's It This To For Would Eat Does Sometimes"))
INTERJECTIONS = ["Wow, ", "Honestly, ", "Well, ", "OK, ", "Oh no, ", "Yes, ", "Of course, ", "Look, "]


class Filler(dict):
    """format_map() mapping that draws words lazily: {obj}, {objs2}, {a_adj}, {tvd}, ..."""

    KEY_RE = re.compile(r"^(a_)?([a-z]+?)(s|d|ing)?(\d*)$")

    def __init__(self, rng: random.Random, topic: dict, fixed: dict | None = None):
        super().__init__(fixed or {})
        self.rng = rng
        self.topic = topic
        self.chosen: dict[tuple[str, str], object] = {}

    # --- drawing -----------------------------------------------------------
    def _pool(self, cat: str):
        t = self.topic
        if cat == "cobj":
            return [w for w in t["obj"] if w not in t["mass"]], 1.0
        if cat == "obj":
            return t["obj"], 1.0
        if cat in ("subj", "tv", "iv", "adj", "place"):
            return t[cat], {"subj": 0.8, "tv": 0.8, "iv": 0.7, "adj": 0.9, "place": 0.8}[cat]
        if cat in t["extra"]:
            return t["extra"][cat], 0.6
        raise KeyError(cat)

    def draw(self, cat: str, idx: str):
        key = (cat, idx)
        if key in self.chosen:
            return self.chosen[key]
        pool, s = self._pool(cat)
        taken = {v for (c, _), v in self.chosen.items() if c == cat or {c, cat} == {"obj", "cobj"}}
        rare = self.topic.get("rare", [])
        for _ in range(100):
            if cat == "obj" and rare and self.rng.random() < 0.02:
                value = self.rng.choice(rare)
            else:
                value = self.rng.choices(pool, weights=zipf_weights(len(pool), s))[0]
            if value not in taken:
                break
        self.chosen[key] = value
        return value

    def __missing__(self, key: str) -> str:
        cap = key[0].isupper()
        m = self.KEY_RE.match(key.lower())
        if not m:
            raise KeyError(key)
        art, cat, form, idx = m.groups()
        if cat not in ("obj", "cobj", "subj", "tv", "iv", "adj", "place") and cat not in self.topic["extra"]:
            # e.g. 'day' vs 'd' suffix ambiguity: try the whole word as a category
            cat, form = cat + (form or ""), None
        value = self.draw(cat, idx)
        mass = self.topic["mass"]
        if cat in ("tv", "iv"):
            base, s3, past, ing = value
            out = {None: base, "s": s3, "d": past, "ing": ing}[form]
        else:
            out = value
            if form == "s":
                out = out if out in mass else plural(out)
        if art:
            out = ("some " + out) if (cat in ("obj",) and value in mass) else f"{article(out)} {out}"
        return capitalize_first(out) if cap else out


def topic_sentence(rng: random.Random, name: str) -> str:
    t = TOPICS[name]
    if name == "travel":
        if rng.random() < 0.8:
            return capital_sentence(rng, t)
    templates = list(GENERIC_TEMPLATES)
    if t["iv"]:
        templates += GENERIC_IV_TEMPLATES
    specific = t["templates"]
    if specific and rng.random() < 0.4:
        tpl = rng.choice(specific)
    else:
        tpl = rng.choice(templates)
    return tpl.format_map(Filler(rng, t))


def capital_sentence(rng: random.Random, t: dict) -> str:
    tpl = rng.choice(CAPITAL_TEMPLATES)
    (c1, k1, n1), (c2, k2, _) = rng.sample(CAPITALS, 2)
    fixed = dict(capital=c1, country=k1, nat=n1, capital2=c2, country2=k2,
                 day=rng.choice(DAYS))
    return tpl.format_map(Filler(rng, t, fixed))


def family_sentence(rng: random.Random) -> str:
    idx = rng.choices(range(len(GENDER_PAIRS)), weights=zipf_weights(len(GENDER_PAIRS), 0.3))[0]
    male, female, phrases = GENDER_PAIRS[idx]
    fam = dict(FAMILY, subj=[], place=[], iv=[], mass=set(), extra={}, rare=[])
    if rng.random() < 0.25:
        tpl = rng.choice(FAMILY_PAIR_TEMPLATES)
        fixed = dict(male=male, female=female, rel=rng.choice(FAMILY_REL))
        return tpl.format_map(Filler(rng, fam, fixed))
    is_f = rng.random() < 0.5
    pr, pos, obj_pr = ("she", "her", "her") if is_f else ("he", "his", "him")
    phrase = rng.choice(phrases).format(pr=pr, pos=pos)
    tpl = rng.choice(FAMILY_TEMPLATES)
    fixed = dict(m=female if is_f else male, phrase=phrase, pr=pr, Pr=pr.capitalize(), pos=pos,
                 obj_pr=obj_pr, rel=rng.choice(FAMILY_REL), fobj=rng.choice(FAMILY_OBJ),
                 day=rng.choice(DAYS))
    return tpl.format_map(Filler(rng, fam, fixed))


def make_sentence(rng: random.Random, name: str) -> str:
    s = family_sentence(rng) if name == "family" else topic_sentence(rng, name)
    s = re.sub(r"\s+", " ", s).strip()
    return capitalize_first(s)


def generate_corpus(seed: int) -> list[str]:
    rng = random.Random(seed)
    names = list(TOPICS) + ["family"]
    weights = [TOPICS[n]["weight"] for n in TOPICS] + [FAMILY["weight"]]
    lines = list(FIRST_LINES)
    while len(lines) < N_CORPUS_LINES:
        name = rng.choices(names, weights=weights)[0]
        r = rng.random()
        n_sent = 1 if r < 0.6 else (2 if r < 0.9 else 3)
        sents = [make_sentence(rng, name) for _ in range(n_sent)]
        if rng.random() < 0.05:
            first = sents[0].split(" ", 1)[0]
            if first in LOWERABLE:
                sents[0] = sents[0][0].lower() + sents[0][1:]
            sents[0] = rng.choice(INTERJECTIONS) + sents[0]
        line = " ".join(sents)
        # exercise Unicode normalisation: a few typographic apostrophes and decomposed accents
        if "'" in line and rng.random() < 0.03:
            line = line.replace("'", "\u2019")
        if "é" in line and rng.random() < 0.1:
            line = unicodedata.normalize("NFD", line)
        lines.append(line)
    return lines


# ---------------------------------------------------------------------------
# labeled headlines: clickbait vs news
# ---------------------------------------------------------------------------

HL = dict(
    animal=words("cat dog puppy kitten horse parrot rabbit goat hamster duck"),
    animals=words("cats dogs puppies kittens horses parrots rabbits goats"),
    food=words("pizza pasta bread soup cheese chocolate coffee salad cake"),
    foods=words("pizzas sandwiches cookies burgers salads cakes apples noodles"),
    person=words("teacher mother dad chef nurse student grandmother farmer pilot developer"),
    place=words("kitchen garden attic basement fridge car_park office"),
    thing=words("phone laptop fridge bike car garden kitchen haircut breakfast"),
    things=words("habits gadgets apps recipes tricks mistakes hobbies houseplants"),
    topic=words("cats dogs phones coffee holidays celebrities diets gadgets football music"),
    adj=words("shocking surprising weird amazing hilarious adorable strange unbelievable"),
    group=words("teachers parents students cat_owners gamers nurses introverts"),
    city=words("Paris Berlin Rome Madrid London Tokyo Dublin Lisbon Vienna Athens"),
    facility=words("library school hospital bridge park swimming_pool stadium railway_station"),
    org=words("Bank Ministry Agency Statistics_Office Central_Bank"),
    econ=words("inflation unemployment house_prices energy_prices exports wages taxes"),
    region=words("the_north the_south the_coast the_capital three_counties the_west"),
    policy=words("pension tax health education housing transport energy"),
    month=words("January March May July September November"),
    case=words("fraud corruption bribery tax_evasion"),
    team=words("Rovers United City Athletic Wanderers Rangers"),
    dept=words("children's cancer maternity emergency"),
    tech=words("blood_test scanner vaccine app"),
    disease=words("cancer malaria diabetes flu"),
    crop=words("wheat potato apple grape"),
    mission=words("Mars moon satellite Jupiter"),
    service=words("clean_water broadband public_transport healthcare"),
    verb=words("cook sleep travel work shop exercise"),
    n=[str(k) for k in (3, 5, 7, 9, 10, 11, 12, 13, 15, 17, 19, 21, 25, 27, 30)],
    pct=["1.5", "2", "2.4", "3", "4.1", "5", "6.7", "8", "12", "15", "20"],
    s=["0", "1", "2", "3", "4"],
)

CLICKBAIT = [
    "You won't believe what this {animal} did next",
    "{n} reasons why {topic} are better than you think",
    "This {person} tried {food} for {n} days and the results are {adj}",
    "{n} {animals} that will make you smile today",
    "What this {person} found in the {place} will blow your mind",
    "Doctors hate this one simple breakfast trick",
    "Can you guess which {animal} is the cutest?",
    "We tried {n} {foods} and ranked them from worst to best",
    "Here's why everyone is obsessed with {topic} right now",
    "The {adj} truth about {topic} nobody tells you",
    "This is the most {adj} {thing} you will see today",
    "{n} signs you are secretly a genius",
    "Only true fans will remember these {n} {things}",
    "Stop what you are doing and look at this {animal}",
    "This {person} just revealed the secret to perfect {food}",
    "I visited {city} and this is what happened",
    "Why nobody talks about {topic} anymore",
    "The real reason your {thing} keeps breaking",
    "{n} photos of {animals} that prove they are the best",
    "Is this the best {food} in {city}? We think so",
    "These {n} {things} will change the way you {verb}",
    "This {animal} learned to open the {place} door and the internet loves it",
    "{n} {things} every {person} needs to know",
    "You have been eating {food} wrong your whole life",
    "What your favourite {food} says about you",
    "She quit her job to {verb} with her {animal} and you'll never guess what happened",
    "{n} {adj} facts about {city} you never knew",
    "Which {animal} are you? Take the quiz",
    "This {thing} hack will save you hours",
    "The {adj} reason {group} love {topic}",
    # written in a news-like register (keeps the task from being trivial)
    "Council approves {adj} plan for {animals} and people are furious",
    "Scientists reveal the {adj} truth about {food}",
    "Police in {city} found something {adj} in a {place}",
    "Government wants to ban {topic} and here's why",
    "Hospital staff share {n} {adj} stories from the night shift",
    "Minister's {food} recipe goes viral",
]
NEWS = [
    "Council approves budget for new {facility}",
    "City council votes to expand {facility} in {city}",
    "{org} reports {pct} percent rise in {econ}",
    "Police investigate break-in at {facility} in {city}",
    "Government announces plan to cut {econ}",
    "School board delays vote on new {facility}",
    "Storm causes power cuts across {region}",
    "Minister says {policy} reform will be delayed until {month}",
    "Scientists publish study on {animal} population decline",
    "Court rejects appeal in {case} case",
    "{team} beat {team2} {s}-{s2} in league final",
    "Hospital opens new {dept} ward after two-year delay",
    "Prices of {foods} rise for third month in a row",
    "Train services between {city} and {city2} suspended after flooding",
    "Researchers develop new {tech} to detect {disease}",
    "Unemployment falls to {pct} percent in {month}",
    "Mayor of {city} resigns amid {case} inquiry",
    "Parliament passes bill on {policy} reform",
    "Local farmers warn of poor {crop} harvest after dry summer",
    "Museum in {city} reopens after renovation",
    "Space agency delays launch of new {mission} mission",
    "Report finds {pct} percent of {group} lack access to {service}",
    "Will the council approve the new {facility}?",
    "{city} marathon to go ahead despite heavy rain",
    "{org} raises interest rates to {pct} percent",
    "Teachers strike over {policy} funding in {city}",
    "New {facility} opens in {city} after five years of delays",
    "Vet warns pet owners about {disease} outbreak in {animal} farms",
    "Exports to {city} fall by {pct} percent in {month}",
    "{n} injured after bus crash near {city}",
    # written in a clickbait-like register
    "{n} things to know about the {policy} reform",
    "What is driving {econ} in {city}?",
    "What the new {facility} means for {city}",
    "Here is what we know about the {case} inquiry",
    "{n} {animals} rescued from flooded farm near {city}",
    "Study finds {pct} percent of {group} drink coffee every day",
    "Can {city} afford a new {facility}?",
]


def fill_headline(rng: random.Random, tpl: str) -> str:
    chosen: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        key = m.group(1)
        cat = key.rstrip("0123456789")
        if cat not in HL:
            cat = cat[:-1] if cat[-1] == "2" else cat
        if key not in chosen:
            used = {v for k, v in chosen.items() if k.rstrip("2") == cat}
            for _ in range(50):
                v = rng.choice(HL[cat]).replace("_", " ")
                if v not in used:
                    break
            chosen[key] = v
        return chosen[key]

    text = re.sub(r"\{(\w+)\}", sub, tpl)
    return text[0].upper() + text[1:]


def generate_labeled(seed: int, n: int, exclude: set[str]) -> list[str]:
    rng = random.Random(seed)
    out, seen = [], set(exclude)
    while len(out) < n:
        is_click = rng.random() < 0.5
        while True:  # retry within the same class, so de-duplication keeps the classes balanced
            text = fill_headline(rng, rng.choice(CLICKBAIT if is_click else NEWS))
            if text not in seen:
                break
        seen.add(text)
        label = "clickbait" if is_click else "news"
        if rng.random() < LABEL_NOISE:
            label = "news" if is_click else "clickbait"
        out.append(f"__label__{label} {text}")
    return out


# ---------------------------------------------------------------------------
# evaluation files
# ---------------------------------------------------------------------------

SIMILARITY = [
    # within a topic: high
    ("cat", "dog", 8.5), ("kitten", "cat", 9.2), ("puppy", "dog", 9.0), ("horse", "cow", 7.0),
    ("lion", "tiger", 8.5), ("guitar", "piano", 8.0), ("violin", "cello", 8.8),
    ("song", "melody", 8.5), ("rain", "snow", 8.0), ("wind", "storm", 7.8), ("fog", "cloud", 7.0),
    ("doctor", "nurse", 8.5), ("heart", "lung", 7.5), ("fever", "cough", 7.2),
    ("bread", "cake", 7.0), ("soup", "pasta", 6.5), ("cheese", "pizza", 6.8),
    ("planet", "star", 8.0), ("rocket", "satellite", 7.0), ("train", "bus", 8.3),
    ("ticket", "passport", 6.5), ("paris", "france", 8.5), ("berlin", "germany", 8.5),
    ("king", "queen", 8.6), ("brother", "sister", 8.8), ("mother", "father", 8.9),
    ("computer", "laptop", 9.0), ("code", "program", 8.5), ("football", "tennis", 7.5),
    ("player", "coach", 7.8),
    # across topics: low
    ("cat", "guitar", 1.0), ("rain", "laptop", 0.8), ("piano", "doctor", 1.2),
    ("bread", "planet", 0.5), ("football", "galaxy", 0.7), ("king", "rocket", 0.6),
    ("snow", "passport", 1.0), ("heart", "keyboard", 0.5), ("horse", "database", 0.3),
    ("soup", "telescope", 0.4), ("train", "cheese", 1.0), ("violin", "fever", 0.6),
    # out of vocabulary (these words never occur in corpus.txt)
    ("cat", "platypus", 6.5), ("quasar", "galaxy", 8.0),
]
SIMILARITY_OOV = {"platypus", "quasar"}

PLURAL_WORDS = words("cat dog puppy kitten horse bird rabbit guitar piano violin drum song "
                     "planet star rocket computer laptop program")

PHRASES = FIRST_LINES + [
    "The cat sleeps in the garden",
    "My dog loves to play in the garden",
    "The chef cooked a delicious soup",
    "Heavy rain and strong wind tomorrow",
    "The pianist played a beautiful song on the violin",
    "The developer fixed the bug in the database",
    "Paris is the capital of France",
    "The king and the queen visited their family",
    "The doctor examined my heart",
    "The astronaut saw a bright star",
    "We took the train from Rome to Berlin",
    "The coach kicked the ball across the field",
    "Fresh bread at the café",
    "WOW, the Chef's Home-Made Cake is SO delicious!!!",
    "The flibbertigibbet ate my cake",
    "She sings while her brother plays the guitar",
    "Is the weather cold and windy on Monday?",
    "The nurse gave me some medicine",
]
PHRASE_OOV = {"flibbertigibbet"}


def generate_analogies(seed: int) -> list[str]:
    rng = random.Random(seed)

    def section(name: str, pairs: list[tuple[str, str]], n: int) -> list[str]:
        combos = [(a, b) for a in pairs for b in pairs if a != b]
        rng.shuffle(combos)
        return [f": {name}"] + [f"{a[0]} {a[1]} {b[0]} {b[1]}".lower() for a, b in combos[:n]]

    caps = [(c, k) for c, k, _ in CAPITALS]
    gender = [(m, f) for m, f, _ in GENDER_PAIRS]
    plurals = [(w, plural(w)) for w in PLURAL_WORDS]
    return section("capital-country", caps, 20) + section("gender", gender, 20) + \
        section("plural", plurals, 15)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def letter_tokens(text: str) -> list[str]:
    """Lowercased runs of letters (the brief's quick check; NFC first so 'café' stays whole)."""
    text = unicodedata.normalize("NFC", text).lower()
    return re.findall(r"[^\W\d_]+", text)


def project_tokens(text: str) -> list[str]:
    """Roughly how embedcli.text.tokenize splits (NFKC, lower case, keeps don't / well-known)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    return re.findall(r"[^\W_]+(?:['\-][^\W_]+)*", text)


def write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--check", action="store_true", help="print corpus statistics")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    corpus = generate_corpus(SEED + STREAM_CORPUS)
    train = generate_labeled(SEED + STREAM_LABELED, N_LABELED, set())
    train_texts = {line.split(" ", 1)[1] for line in train}
    test = generate_labeled(SEED + STREAM_LABELED_TEST, N_LABELED_TEST, train_texts)
    analogies = generate_analogies(SEED + STREAM_ANALOGIES)
    similarity = [
        "# Word-pair similarity in WordSim-353 format: word1<TAB>word2<TAB>score (0-10).",
        "# Generated by sample_data/generate.py from hand-assigned scores (CC0).",
        "# Pairs within a corpus topic score high, pairs across topics low;",
        "# 'platypus' and 'quasar' do not occur in corpus.txt (out-of-vocabulary).",
    ] + [f"{a}\t{b}\t{s:.1f}" for a, b, s in SIMILARITY]

    # ---- sanity checks -------------------------------------------------
    counts = Counter(t for line in corpus for t in letter_tokens(line))
    for line in analogies:
        if not line.startswith(":"):
            for w in line.split():
                assert counts[w] >= 5, f"analogy word {w!r} occurs {counts[w]} times"
    for a, b, _ in SIMILARITY:
        for w in (a, b):
            if w in SIMILARITY_OOV:
                assert counts[w] == 0, f"OOV word {w!r} occurs in the corpus"
            else:
                assert counts[w] >= 5, f"similarity word {w!r} occurs {counts[w]} times"
    pcounts = Counter(t for line in corpus for t in project_tokens(line))
    for line in PHRASES:
        for w in project_tokens(line):
            if w in PHRASE_OOV:
                assert pcounts[w] == 0, w
            else:
                assert pcounts[w] > 0, f"phrase word {w!r} not in corpus"
    assert corpus[:2] == FIRST_LINES and PHRASES[:2] == FIRST_LINES

    write(out / "corpus.txt", corpus)
    write(out / "phrases.txt", PHRASES)
    write(out / "labeled.txt", train)
    write(out / "labeled_test.txt", test)
    write(out / "similarity.tsv", similarity)
    write(out / "analogies.txt", analogies)

    if args.check:
        n_ws = sum(len(line.split()) for line in corpus)
        n_tok = sum(counts.values())
        print(f"seed {SEED}")
        print(f"corpus.txt: {len(corpus)} lines, {n_ws} whitespace tokens, "
              f"{n_tok} letter tokens, {len(counts)} distinct lowercase words")
        for mc in (2, 5, 10):
            print(f"  words with count >= {mc}: {sum(1 for c in counts.values() if c >= mc)}")
        print("  top 20:", ", ".join(f"{w}={c}" for w, c in counts.most_common(20)))
        print("  hapax:", sum(1 for c in counts.values() if c == 1))
        ranked = [c for _, c in counts.most_common()]
        print("  count at rank 1/10/100/500/1000:",
              "/".join(str(ranked[r - 1]) for r in (1, 10, 100, 500, 1000) if r <= len(ranked)))
        print(f"  embedcli-style tokens: {sum(pcounts.values())}, distinct {len(pcounts)}")
        labs = Counter(line.split(" ", 1)[0] for line in train)
        print(f"labeled.txt: {len(train)} lines {dict(labs)}; labeled_test.txt: {len(test)} lines")
        print(f"analogies.txt: {sum(1 for l in analogies if not l.startswith(':'))} questions")
        print(f"similarity.tsv: {len(SIMILARITY)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
