"""Which passwords the clinic accepts, after NIST SP 800-63B (5.1.1.2): long enough, not too long to hash, no
composition rules (no "one digit and one symbol"), and nothing an attacker tries first: passwords from breach
corpora and lists of common passwords, repeated or sequential characters, keyboard walks, the name of the service,
the person's own e-mail address or name.

`password_problem` is the one check: every place a password is set (the `flask users create` command, an
invitation, a change, a reset) asks it and refuses with its message."""

import re
import string
import unicodedata
from functools import cache
from importlib.resources import files

from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128  # NIST: at least 64 must be allowed; the cap keeps a huge input from reaching the hash

TOO_SHORT = _l("รหัสผ่านต้องยาวอย่างน้อย %(n)s ตัวอักษร", n=MIN_PASSWORD_LENGTH)
TOO_LONG = _l("รหัสผ่านยาวได้ไม่เกิน %(n)s ตัวอักษร", n=MAX_PASSWORD_LENGTH)
COMMON = _l("รหัสผ่านนี้มีในรายการรหัสผ่านที่ใช้กันมากหรือเคยรั่วไหล เดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น")
PATTERN = _l("รหัสผ่านนี้เป็นตัวอักษรซ้ำ ตัวเลขเรียง หรือแป้นพิมพ์เรียงกัน เดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น")
PERSONAL = _l("รหัสผ่านต้องไม่มีอีเมลหรือชื่อของคุณ")

# Thai typed with the keyboard left in English (the Kedmanee layout, the one on every Thai keyboard): "สวัสดี"
# becomes "l;ylfu". People pick such passwords because they look random; they are not.
KEDMANEE = {
    "ๅ": "1", "ภ": "4", "ถ": "5", "ุ": "6", "ึ": "7", "ค": "8", "ต": "9", "จ": "0", "ข": "-",
    "ช": "=", "ๆ": "q", "ไ": "w", "ำ": "e", "พ": "r", "ะ": "t", "ั": "y", "ี": "u", "ร": "i", "น": "o", "ย": "p",
    "บ": "[", "ล": "]", "ฃ": "\\", "ฟ": "a", "ห": "s", "ก": "d", "ด": "f", "เ": "g", "้": "h", "่": "j", "า": "k",
    "ส": "l", "ว": ";", "ง": "'", "ผ": "z", "ป": "x", "แ": "c", "อ": "v", "ิ": "b", "ื": "n", "ท": "m", "ม": ",",
    "ใ": ".", "ฝ": "/", "๑": "@", "๒": "#", "๓": "$", "๔": "%", "ู": "^", "฿": "&", "๕": "*", "๖": "(",
    "๗": ")", "๘": "_", "๙": "+", "๐": "Q", "ฎ": "E", "ฑ": "R", "ธ": "T", "ํ": "Y", "๊": "U", "ณ": "I", "ฯ": "O",
    "ญ": "P", "ฐ": "{", "ฅ": "|", "ฤ": "A", "ฆ": "S", "ฏ": "D", "โ": "F", "ฌ": "G", "็": "H", "๋": "J", "ษ": "K",
    "ศ": "L", "ซ": ":", "ฉ": "C", "ฮ": "V", "ฺ": "B", "์": "N", "ฒ": "<", "ฬ": ">", "ฦ": "?",
}
THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
# Characters a common password is padded with ("password123!", "!!iloveyou2569"): stripped before looking it up.
PADDING = string.digits + THAI_DIGITS + string.punctuation + string.whitespace
SEPARATORS = re.compile(r"[\s\-_.]+")
LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t",
                      "+": "t", "8": "b", "9": "g"})
# Sequences that run in order: digits, the alphabet and the rows and columns of a keyboard (either direction,
# wrapping round: "7890123456...").
SEQUENCES = (
    "0123456789", string.ascii_lowercase, "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "qazwsxedcrfvtgbyhnujmik,ol.p;/", "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0", "1a2b3c4d5e6f7g8h9i",
    "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ", THAI_DIGITS,
)
MIN_DISTINCT_CHARACTERS = 5
# Titles that come with a Thai name: "นางสาวพิมพ์" is someone called "พิมพ์".
THAI_TITLES = ("นางสาว", "นาง", "นาย", "ว่าที่ร้อยตรี", "ดร.", "ผศ.", "รศ.", "ศ.")
MIN_PERSONAL_PART = 4


def password_problem(password: str, user_email: str = "", user_name: str = "") -> str | None:
    """Why `password` is refused for the person with `user_email` and `user_name`, in the reader's language, or
    None when it is accepted. Its length is checked first, so a huge input costs nothing more."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return str(TOO_LONG)
    # NFKC, as NIST asks, so that a password typed as composed or decomposed characters is one password.
    normal = unicodedata.normalize("NFKC", password)
    if len(normal) < MIN_PASSWORD_LENGTH:
        return str(TOO_SHORT)
    folded = normal.casefold()
    squashed = SEPARATORS.sub("", folded)
    if is_personal(squashed, user_email, user_name):
        return str(PERSONAL)
    if is_pattern(squashed):
        return str(PATTERN)
    if is_common(folded, squashed):
        return str(COMMON)
    return None


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (clinic/accounts/common_passwords.txt, its header says where it comes from), casefolded."""
    text = files("clinic.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(  # comments are "# ..." or "#"; entries may start with "#" ("#1pimp")
        line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("# ") and line != "#"
    )


def is_thai(text: str) -> bool:
    return any("\u0e00" <= c <= "\u0e7f" for c in text)


def typed_on_english_keyboard(text: str) -> str:
    return "".join(KEDMANEE.get(c, c) for c in text).casefold()


def is_common(folded: str, squashed: str) -> bool:
    """The password, or its core once the digits and symbols padding it are stripped, or that core spelled
    without leetspeak, or one word repeated, or Thai typed on an English keyboard, is on the list."""
    common = common_passwords()
    candidates = {folded, squashed}
    for text in (folded, squashed):
        core = text.strip(PADDING)
        candidates.update({core, core.translate(LEET), core.translate(LEET).replace("i", "l")})
    if is_thai(squashed):
        candidates.add(typed_on_english_keyboard(squashed))
        candidates.add(typed_on_english_keyboard(squashed).strip(PADDING))
    for candidate in list(candidates):
        for times in (2, 3, 4):
            unit, rest = divmod(len(candidate), times)
            if unit and not rest and candidate[:unit] * times == candidate:
                candidates.add(candidate[:unit])
    return any(candidate in common for candidate in candidates if candidate)


def is_pattern(squashed: str) -> bool:
    """Few distinct characters ("aaaaaaaaaaaa", "abababababab", "1212...") or one run along a sequence
    ("1234567890123", "zyxwvutsrqpo", "qwertyuiop[]", "1qaz2wsx3edc")."""
    if len(set(squashed)) < MIN_DISTINCT_CHARACTERS:
        return True
    for sequence in SEQUENCES:
        for direction in (sequence, sequence[::-1]):
            repeated = direction * (len(squashed) // len(direction) + 2)
            if squashed in repeated:
                return True
    return False


def personal_parts(user_email: str, user_name: str) -> set[str]:
    """The words of a person's e-mail and name an attacker who knows them would try, as typed and, for Thai,
    as typed with the keyboard left in English."""
    parts: set[str] = set()
    local = user_email.strip().casefold().split("@", 1)[0]
    parts.add(SEPARATORS.sub("", local))
    parts.update(SEPARATORS.split(local))
    for word in user_name.casefold().split():
        parts.add(word)
        for title in THAI_TITLES:
            if word.startswith(title):
                parts.add(word[len(title):])
    parts.update({typed_on_english_keyboard(p) for p in parts if is_thai(p)})
    return {p for p in parts if len(p) >= MIN_PERSONAL_PART}


def is_personal(squashed: str, user_email: str, user_name: str) -> bool:
    return any(part in squashed for part in personal_parts(user_email, user_name))
