"""The fixed query sets of bench/search.py: a mixed load set and a relevance set."""

from __future__ import annotations

import random
from collections.abc import Sequence

LONG_TAIL_SIZE = 3000

# Load: typos, Hindi, synonyms, filters, sorts; every request also computes the facets.
LOAD = [
    {"q": "firozbad glas"},
    {"q": "banarasi saree"},
    {"q": "बनारसी साड़ी"},
    {"q": "chanapatna toy"},
    {"q": "kanjeevaram silk"},
    {"q": "saree", "state": "west-bengal"},
    {"q": "silk", "sort": "price_asc"},
    {"q": "mango", "in_stock": "true"},
    {"q": "brass", "export_ready": "true", "min_price": "1000", "max_price": "5000"},
    {"q": "pashmina shawl"},
    {"q": "carpet", "seller_type": "cooperative"},
    {"q": "potery", "state": "uttar-pradesh"},
    {"q": "madhubani painting"},
    {"q": "turmric"},
    {"q": "wooden toys", "sort": "newest"},
    {"q": "handloom", "category": "textiles", "page": "2"},
]

# Relevance: (query, what the top five should contain: a product name or "district:<name>").
RELEVANCE = [
    ("firozbad glas", "Firozabad Glass"),
    ("firozabad glass", "Firozabad Glass"),
    ("channapatna toy", "Channapatna Toys"),
    ("chanapatna toys", "Channapatna Toys"),
    ("banarasi saree", "district:Varanasi"),
    ("बनारसी साड़ी", "district:Varanasi"),
    ("varanasi silk", "district:Varanasi"),
    ("kanjeevaram", "district:Kanchipuram"),
    ("kanchipuram textiles", "district:Kanchipuram"),
    ("moradabad metal craft", "district:Moradabad"),
    ("moradbad metal", "district:Moradabad"),
    ("bhadohi carpet", "district:Bhadohi"),
    ("bhadohi carpets", "district:Bhadohi"),
    ("lucknow chikankari", "district:Lucknow"),
    ("लखनऊ", "district:Lucknow"),
    ("madhubani", "district:Madhubani"),  # exact spelling before Darbhanga's "Madhubhani"
    ("madhubni painting", "district:Madhubani"),
    ("agra leather", "district:Agra"),
    ("gorakhpur terracotta", "district:Gorakhpur"),
    ("kolhapuri chappal", "Footwear"),  # chappal = footwear (synonym data)
    ("nagpur orange", "district:Nagpur"),
    ("darjeeling tea", "district:Darjeeling"),
    ("pashmina", "Pashmina"),
    ("mysore silk", "Silk"),  # a place is a preference: Mysuru lists no silk
    ("moradabad", "district:Moradabad"),
    ("jaipur jewellery", "district:Jaipur"),
    ("pochampally ikat", "district:Yadadri Bhuvanagiri"),
    ("kashmir saffron", "Saffron"),
    ("alphonso mango", "district:Ratnagiri"),
    ("coir products", "Coir"),
    ("वाराणसी", "district:Varanasi"),
    ("फिरोजाबाद", "district:Firozabad"),
    ("chandigarh", "district:Chandigarh"),
    ("pashmina shawl", "Pashmina"),
    ("terracotta", "Terracotta"),
    ("bamboo", "Bamboo"),
    ("jute", "Jute"),
    ("handloom saree", "Saree"),
    ("silk sari", "Silk"),
    ("turmric", "Turmeric"),
]


def _typo(word: str, rng: random.Random) -> str:
    """One edit: a deletion, a substitution or a transposition, as buyers make them."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("delete", "substitute", "transpose"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "substitute":
        return word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def long_tail(
    titles: Sequence[tuple[str, str]], size: int = LONG_TAIL_SIZE, seed: int = 15
) -> list[str]:
    """``size`` distinct queries generated from the indexed listings' (title, district): one or
    two words of a product name, sometimes with the district or a State-free place word, a
    third of them with a typo in a word of five letters or more."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    attempts = 0
    while len(found) < size and attempts < size * 50:
        attempts += 1
        title, district = rng.choice(titles)
        words = [w for w in title.split(" – ")[0].lower().replace("/", " ").split() if w.isalpha()]
        if not words:
            continue
        start = rng.randrange(len(words))
        chosen = words[start : start + rng.choice((1, 1, 2))]
        if rng.random() < 0.3:
            chosen.append(district.lower())
        if rng.random() < 0.35:
            long = [i for i, w in enumerate(chosen) if len(w) >= 5]
            if long:
                i = rng.choice(long)
                chosen[i] = _typo(chosen[i], rng)
        found.setdefault(" ".join(chosen), None)
    return list(found)
