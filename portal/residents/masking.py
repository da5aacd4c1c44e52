"""How personal data is shown to anyone but the person: the one place names, ID and mobile numbers are masked.

Pages, admin lists, exports, logs and API responses all go through these functions (PIPL: minimum disclosure).
"""


def mask_name(name: str) -> str:
    """张三明 -> 张*明, 张三 -> 张*, 欧阳娜娜 -> 欧**娜."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def mask_id_number(id_number: str) -> str:
    """410105199001011234 -> 4101**********1234: the prefecture and the last four stay."""
    id_number = (id_number or "").strip()
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}"


def mask_mobile(mobile: str) -> str:
    """13812345678 -> 138****5678."""
    mobile = (mobile or "").strip()
    if len(mobile) <= 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"
