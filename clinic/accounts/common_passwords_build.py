"""Builds clinic/accounts/common_passwords.txt, the list `password_problem` refuses. Run it again only to change the
list: `python -m clinic.accounts.common_passwords_build path/to/common-passwords.txt.gz > clinic/accounts/common_passwords.txt`.

The list is:
1. the 20,000 most common passwords of breach corpora (Royce Williams' list, lowercased, as Django ships it in
   django/contrib/auth/common-passwords.txt.gz; Django is BSD-3-Clause; taken from Django 5.2.19 on PyPI), less the
   entries that are mis-decoded bytes;
2. keyboard walks: the rows and columns of a QWERTY keyboard, forwards and backwards, and walks that zigzag;
3. the names of the service and of OPDC, which every attacker of this site tries first, in English, in Thai and
   in Thai typed with the keyboard left in English;
4. common Thai passwords: Thai words and phrases, the same typed with the keyboard left in English, and Thai
   words spelt in Latin letters.
Repeated characters and runs (aaaa..., 123456..., abcdef...) are refused by rule in clinic.accounts.passwords,
whatever their length, so the list does not spell them out."""

import gzip
import sys

from clinic.accounts.passwords import typed_on_english_keyboard

KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/")
ZIGZAGS = ("1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0", "qazwsxedcrfvtgbyhnujmik,ol.p;/", "1qazxsw23edcvfr45tgbnhy6",
           "zaq12wsxcde34rfvbgt56yhn", "zaq1xsw2cde3vfr4bgt5nhy6", "!qaz@wsx#edc$rfv", "1qaz@wsx3edc$rfv",
           "qweasdzxc", "asdqwezxc", "qweasd", "poiuytrewq", "mnbvcxz", "lkjhgfdsa", "1qazxsw2", "zxcasdqwe",
           "qwertzuiop", "azertyuiop", "qwertyasdfgh", "qwertyasdfghzxcvbn", "asdfghjklqwertyuiop")

SERVICE_NAMES = (
    "opdc", "opdcclinic", "clinicopdc", "opdc-clinic", "clinic-opdc", "clinic", "clinicadmin", "admin", "administrator",
    "opdcadmin", "adminopdc", "opdc.go.th", "opdcgoth", "www.opdc.go.th", "clinic.opdc.go.th", "opdcthailand",
    "kpr", "korporror", "gorporror", "kor.por.ror", "ocsc", "opdcclinic.go.th", "consult", "consultation",
    "consultationclinic", "bookingclinic", "clinicbooking", "booking", "opdcbooking", "publicsector",
    "publicsectordevelopment", "officeofthepublicsectordevelopmentcommission", "welcome", "welcomeopdc",
    "คลินิก", "คลินิกให้คำปรึกษา", "กพร", "ก.พ.ร.", "สำนักงานกพร", "สำนักงานก.พ.ร.", "คลินิกกพร", "ที่ปรึกษา",
    "ผู้ดูแลระบบ", "สำนักงานคณะกรรมการพัฒนาระบบราชการ", "พัฒนาระบบราชการ", "ราชการ", "ข้าราชการ", "ส่วนราชการ",
)

THAI_WORDS = (
    "สวัสดี", "สวัสดีครับ", "สวัสดีค่ะ", "รักนะ", "รักเธอ", "ฉันรักเธอ", "รักเธอนะ", "รักเธอที่สุด", "คิดถึง",
    "คิดถึงนะ", "ขอบคุณ", "ขอบคุณครับ", "ขอบคุณค่ะ", "ประเทศไทย", "ภาษาไทย", "คนไทย", "เมืองไทย", "ไทยแลนด์",
    "กรุงเทพ", "กรุงเทพมหานคร", "เชียงใหม่", "ภูเก็ต", "พัทยา", "ขอนแก่น", "นครราชสีมา", "โคราช", "หาดใหญ่",
    "ในหลวง", "รักในหลวง", "รักพ่อ", "รักแม่", "รักพ่อรักแม่", "พ่อแม่", "ที่รัก", "แฟน", "แฟนฉัน", "ตัวเอง",
    "รหัสผ่าน", "รหัส", "พาสเวิร์ด", "ลืมรหัส", "ไม่บอก", "ไม่รู้", "อะไร", "ทดสอบ", "ทดลอง", "สมชาย", "สมศักดิ์",
    "สมหญิง", "สมพร", "สุดา", "มะลิ", "ดอกไม้", "ช้าง", "ช้างไทย", "เสือ", "แมว", "หมา", "น้องหมา", "น้องแมว",
    "สุขสันต์วันเกิด", "วันเกิด", "มหาวิทยาลัย", "จุฬา", "ธรรมศาสตร์", "เกษตร", "มหิดล", "สบายดี", "สบายดีไหม",
    "ไม่เป็นไร", "ใจเย็น", "สนุก", "มีความสุข", "ความสุข", "ความรัก", "รักแท้", "นิรันดร์", "ตลอดไป",
    "รักเธอตลอดไป", "พระเจ้า", "พุทโธ", "สาธุ", "นะโม", "โชคดี", "รวย", "รวยรวย", "เงิน", "เงินทอง", "ทองคำ",
    "ฟุตบอล", "มวยไทย", "ต้มยำ", "ต้มยำกุ้ง", "ส้มตำ", "ข้าวผัด", "กะเพรา", "ผัดไทย", "น้ำตาล", "ทะเล", "ภูเขา",
    "ท้องฟ้า", "ดวงดาว", "พระอาทิตย์", "พระจันทร์", "ฝน", "หนาว", "ร้อน", "กระทรวง", "สำนักงาน", "กรม", "จังหวัด",
    "อำเภอ", "ตำบล", "หมู่บ้าน", "บ้าน", "บ้านฉัน", "ครอบครัว", "ลูก", "ลูกรัก", "หลาน", "เพื่อน", "เพื่อนรัก",
    "หนึ่งสองสาม", "หนึ่งสองสามสี่", "กขค", "กขคง", "กขคงจ",
)

THAI_IN_LATIN = (
    "sawasdee", "sawadee", "sawatdee", "sawaddee", "sawasdeekrub", "sawasdeeka", "khobkhun", "khopkhun", "kobkhun",
    "kobkun", "kopkun", "thailand", "ilovethailand", "amazingthailand", "bangkok", "krungthep", "chiangmai",
    "phuket", "pattaya", "khonkaen", "korat", "hatyai", "rakthai", "khonthai", "muangthai", "muaythai", "tomyum",
    "tomyumkung", "tomyamgoong", "somtam", "padthai", "phadthai", "kaopad", "kapow", "krapow", "sabaidee",
    "sabaideemai", "maipenrai", "jaiyen", "sanuk", "chokdee", "chaiyo", "rakna", "raknaja", "rakter", "kidthung",
    "kidtung", "naruk", "narak", "tirak", "teerak", "faen", "mairu", "maibok", "arai", "chang", "changthai", "suea",
    "maew", "maa", "nongmaew", "kasetsart", "chula", "chulalongkorn", "thammasat", "mahidol", "ratchakarn",
    "kharatchakarn", "krasuang", "samnakngan", "siam", "siamese", "suvarnabhumi", "ayutthaya", "sukhothai",
    "isan", "isaan", "lanna", "songkran", "loykrathong", "kanchanaburi", "nonthaburi", "chonburi", "rayong",
    "udonthani", "ubon", "nakhon", "somchai", "somsak", "somying", "somporn", "suda", "mali", "malee", "pim",
    "nong", "nongnong", "pee", "peenong", "kuay", "hia", "sus", "namtan", "thale", "phukhao", "tongfa", "duangdao",
)


def keyboard_walks() -> set[str]:
    walks: set[str] = set()
    for row in (*KEYBOARD_ROWS, *ZIGZAGS):
        for direction in (row, row[::-1]):
            for start in range(len(direction)):
                for end in range(start + 6, len(direction) + 1):
                    walk = direction[start:end]
                    walks.add(walk)
                    walks.add(walk * 2)
    return walks


def build(django_list: str) -> list[str]:
    with gzip.open(django_list, "rt", encoding="utf-8") as f:
        breached = {line.strip() for line in f if line.strip() and "пїѕ" not in line}
    thai = {*THAI_WORDS, *(w for w in SERVICE_NAMES if any("\u0e00" <= c <= "\u0e7f" for c in w))}
    names = {*SERVICE_NAMES, *THAI_IN_LATIN, *thai, *(typed_on_english_keyboard(w) for w in thai)}
    entries = {e.casefold() for e in (*breached, *keyboard_walks(), *names)}
    return sorted(entries)


HEADER = __doc__.split("\n\n", 1)[1]


def main() -> None:
    entries = build(sys.argv[1])
    out = sys.stdout
    out.write("# Passwords that clinic.accounts.passwords.password_problem refuses (casefolded; one a line).\n")
    out.write("# Built by clinic/accounts/common_passwords_build.py, which says where each part comes from:\n#\n")
    for line in HEADER.strip().splitlines():
        out.write(f"# {line}\n")
    out.write(f"#\n# {len(entries)} entries.\n")
    for entry in entries:
        out.write(entry + "\n")


if __name__ == "__main__":
    main()
