"""Demo reports for DX Day 2027 over the demo roster, so `cdsbot reports document` has something to say.

Deterministic (a fixed seed): activity reports of most teams of the two levels below the province (huyện and
xã on the 2023 tree) within the campaign's window, three good practices marked "điển hình" with photos, and
difficulties and recommendations from a few units. Used by scripts/demo_results_report.py and by the document's
tests; never by the running bot.
"""

import io
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OrgUnit, Team
from bot.db.reports import Report, ReportPhoto
from bot.services import photos
from bot.services.org import live
from bot.services.report_types import load_report_types

PLAN = "national-dx-day:2027"
START, END = date(2027, 9, 28), date(2027, 10, 12)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PRACTICES = [
    ("524", "Mô hình “Chợ 4.0” tại chợ Châu Ổ: tổ công nghệ số cộng đồng cùng Đoàn thanh niên in và dán mã QR "
            "thanh toán cho 120 tiểu thương, hướng dẫn tại chỗ; sau hai tuần, hơn 80% quầy hàng nhận tiền qua mã QR.",
     ("CHỢ 4.0", "QUÉT MÃ QR")),
    ("529", "“Tổ công nghệ số đến từng nóc nhà”: thành viên tổ là người Hrê hướng dẫn bà con bằng tiếng dân tộc, "
            "kích hoạt tài khoản định danh điện tử ngay tại nhà sinh hoạt cộng đồng vào buổi tối.",
     ("VNeID", "TẠI THÔN")),
    ("536", "Ngư dân Lý Sơn được hướng dẫn khai báo, nộp hồ sơ thủ tục tàu cá qua Cổng dịch vụ công trước mỗi chuyến "
            "biển; tổ lập nhóm Zalo để giải đáp cả khi bà con đang ở trên biển.",
     ("DỊCH VỤ CÔNG", "NGƯ DÂN")),
]
DIFFICULTIES = [
    ("525", "Sóng di động yếu ở các thôn vùng cao, nhiều hộ chưa có điện thoại thông minh nên việc hướng dẫn phải "
            "làm nhiều lần."),
    ("530", "Thành viên tổ công nghệ số chủ yếu làm kiêm nhiệm, chưa có kinh phí hỗ trợ đi lại đến các thôn xa."),
    ("534", "Một số thủ tục trên Cổng dịch vụ công còn lỗi khi thanh toán phí, người dân phải nộp lại hồ sơ."),
]
RECOMMENDATIONS = [
    ("525", "Đề nghị các doanh nghiệp viễn thông lắp thêm trạm phát sóng tại các thôn vùng lõm sóng."),
    ("530", "Đề nghị tỉnh bố trí kinh phí hỗ trợ hoạt động cho các Tổ công nghệ số cộng đồng."),
    ("522", "Đề nghị tổ chức tập huấn chuyên sâu về an toàn thông tin cho thành viên các tổ."),
]


def picture(lines: tuple[str, str], seed: int) -> bytes:
    """A simple drawn scene (sky, a banner with words, people) standing in for a team's photo."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 800), (135 + rng.randrange(40), 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 520, 1200, 800), fill=(90 + rng.randrange(40), 150, 80))
    draw.rectangle((150, 120, 1050, 380), fill=(200, 30, 40), outline=(250, 220, 0), width=8)
    font = ImageFont.truetype(str(FONT), 80) if FONT.is_file() else ImageFont.load_default()
    for i, text in enumerate(lines):
        draw.text((600, 190 + i * 110), text, fill=(255, 235, 0), font=font, anchor="mm")
    for k in range(9):
        x = 120 + k * 120 + rng.randrange(30)
        draw.ellipse((x, 470, x + 50, 520), fill=(240, 200, 160))
        draw.rectangle((x - 5, 520, x + 55, 680), fill=tuple(rng.randrange(40, 220) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def _teams(session: AsyncSession) -> dict[str, tuple[int, str]]:
    rows = await session.execute(select(OrgUnit.code, Team.id, OrgUnit.path).join(Team, Team.unit_id == OrgUnit.id)
                                 .where(OrgUnit.depth.between(1, 2), live()))  # below the top, above villages
    return {code: (team_id, path) for code, team_id, path in rows}


async def _member(session: AsyncSession, team_id: int, now: datetime) -> int:
    member = Member(full_name="Thành viên tổ (dữ liệu mẫu)", team_id=team_id, created_at=now)
    session.add(member)
    await session.flush()
    return member.id


def _activity_rows(teams: dict, filer: int, rng: random.Random) -> list[dict]:
    """Reports of the counting types by three teams in four, spread over the window."""
    kinds = [t for t in load_report_types().values() if t.counts and t.id != "other"]
    rows = []
    for code, (team_id, path) in sorted(teams.items()):
        if rng.random() < 0.25:
            continue
        for n in range(rng.randint(2, 6)):
            kind = rng.choice(kinds)
            counts = {c.id: rng.randint(1, max(2, c.max // 4)) for c in kind.counts}
            day = START + timedelta(days=rng.randint(0, (END - START).days - 2))
            rows.append(dict(team_id=team_id, unit_path=path, type_id=kind.id, activity_date=day, counts=counts,
                             people=counts.get("people"), note=None,
                             status=rng.choice(("approved", "approved", "pending")),
                             filed_by_member_id=filer, draft_key=f"demo-{code}-{n}", plan=PLAN, featured=False,
                             duplicate_photo=False, created_at=datetime.combine(day, time(10), UTC)))
    return rows


async def seed(session: AsyncSession, media_dir: Path, now: datetime) -> int:
    """Add the demo reports (once: a second call adds nothing); how many reports were added."""
    if (await session.execute(select(Report.id).where(Report.draft_key.like("demo-%")).limit(1))).first():
        return 0
    teams = await _teams(session)
    filer = await _member(session, teams["51"][0] if "51" in teams else next(iter(teams.values()))[0], now)
    rows = _activity_rows(teams, filer, random.Random(2027))
    written = [("good_practice", c, t) for c, t, _ in PRACTICES] + [("difficulties", c, t) for c, t in DIFFICULTIES] \
        + [("recommendations", c, t) for c, t in RECOMMENDATIONS]
    for i, (type_id, code, text) in enumerate(written):
        team_id, path = teams[code]
        rows.append(dict(team_id=team_id, unit_path=path, type_id=type_id, activity_date=END - timedelta(days=2),
                         counts={}, people=None, note=text, status="approved", filed_by_member_id=filer,
                         draft_key=f"demo-written-{i}", plan=PLAN, featured=type_id == "good_practice",
                         duplicate_photo=False, created_at=now))
    await session.execute(insert(Report), rows)
    await _practice_photos(session, media_dir, now)
    await session.commit()
    return len(rows)


async def _practice_photos(session: AsyncSession, media_dir: Path, now: datetime) -> None:
    """Two drawn photos for each featured good practice."""
    for i, (_code, _text, words) in enumerate(PRACTICES):
        report = (await session.execute(select(Report).where(Report.draft_key == f"demo-written-{i}"))).scalar_one()
        for position in range(2):
            stored = await photos.store(session, media_dir, picture(words, 10 * i + position), now)
            session.add(ReportPhoto(report_id=report.id, photo_id=stored.id, position=position))
    await session.flush()
