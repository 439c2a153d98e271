"""Every refusal of the upload checker, each with its exact Chinese message.

A test per branch of ledger/uploads.py: if a branch is removed, its file falls through to another branch whose
message differs (the HTML branch's file would get the generic "内容与扩展名不符" message), and the test fails.
The PDFs are written byte by byte (pdf_samples), including #-escaped names and compressed object streams.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from PIL import Image

from ledger import services, uploads
from ledger.models import EventStatus, EvidenceFile, Slot
from ledger.uploads import UploadRefused, check_file

from . import pdf_samples, samples

PDF_ACTIVE = "PDF 中含有脚本或嵌入文件，请另存为普通 PDF 后再上传。"


def refusal(name: str, data: bytes, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as exc:
        check_file(name, data, **kwargs)
    return exc.value


def _ooxml(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return out.getvalue()


def _mpo() -> bytes:
    """A two-frame MPO (a camera's 3D photo): JPEG magic, but Pillow reads it as format MPO."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (16, 16), (1, 2, 3)), Image.new("RGB", (16, 16), (4, 5, 6))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


# ------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------
NAME_CASES = [
    ("empty-name", "", samples.jpeg(), "“（无名文件）”未上传：文件名为空。"),
    ("blank-name", "   ", samples.jpeg(), "“（无名文件）”未上传：文件名为空。"),
    ("slash", "../照片.jpg", samples.jpeg(), "“../照片.jpg”未上传：文件名含有路径或“..”，请改名后再上传。"),
    ("backslash", "a\\照片.jpg", samples.jpeg(), "“a\\照片.jpg”未上传：文件名含有路径或“..”，请改名后再上传。"),
    ("dot-file", ".htaccess.txt", b"x", "“.htaccess.txt”未上传：文件名含有路径或“..”，请改名后再上传。"),
    ("control", "照\x07片.jpg", samples.jpeg(), "“照\x07片.jpg”未上传：文件名含有控制字符，请改名后再上传。"),
    ("bidi", "照片\u202egpj.exe", samples.jpeg(), "“照片\u202egpj.exe”未上传：文件名含有控制字符，请改名后再上传。"),
    (
        "too-long",
        "活" * 297 + ".jpg",
        samples.jpeg(),
        "“" + "活" * 40 + "…”未上传：文件名过长（301 个字符，最多 200 个）。",
    ),
]


@pytest.mark.parametrize(("case", "name", "data", "message"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_name_refusals_have_their_exact_message(case, name, data, message):
    assert str(refusal(name, data)) == message


# ------------------------------------------------------------------------------
# Content: every branch of check_file and its helpers
# ------------------------------------------------------------------------------
CONTENT_CASES = [
    ("zero-bytes", "签到表.txt", b"", "文件为空（0 字节）。"),
    ("web-extension", "页面.html", b"hello", "不允许上传网页、SVG 或脚本文件。"),
    ("svg-extension", "标志.svg", samples.SVG, "不允许上传网页、SVG 或脚本文件。"),
    ("program-extension", "安装.exe", samples.EXE, "不允许上传可执行程序或脚本。"),
    ("archive-extension", "材料.zip", samples.zipfile_bytes(), "不允许上传压缩包。"),
    ("macro-extension", "通知.docm", samples.docx(), "不允许上传含宏的文档。"),
    (
        "unknown-extension",
        "图.heic",
        b"whatever",
        "不支持的文件类型（可上传图片、PDF、Word、Excel、PPT、文本或 MP4 视频）。",
    ),
    ("exe-as-pdf", "活动方案.pdf", samples.EXE, "不允许上传可执行程序。"),
    ("elf-as-jpg", "照片.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "不允许上传可执行程序。"),
    ("exe-as-txt", "说明.txt", samples.EXE, "不允许上传可执行程序。"),
    ("shebang-as-txt", "说明.txt", b"#!/bin/sh\nrm -rf /\n", "不允许上传脚本文件。"),
    ("shebang-as-doc", "通知.doc", b"#!/usr/bin/env python\n", "不允许上传脚本文件。"),
    ("rar-as-docx", "总结.docx", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 32, "不允许上传压缩包（RAR）。"),
    ("7z-as-docx", "总结.docx", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 32, "不允许上传压缩包（7z）。"),
    ("gzip-as-xlsx", "签到.xlsx", b"\x1f\x8b\x08\x00" + b"\x00" * 32, "不允许上传压缩包（gzip）。"),
    ("bzip2-as-xlsx", "签到.xlsx", b"BZh91AY&SY" + b"\x00" * 32, "不允许上传压缩包（bzip2）。"),
    ("xz-as-xlsx", "签到.xlsx", b"\xfd7zXZ\x00" + b"\x00" * 32, "不允许上传压缩包（xz）。"),
    ("svg-as-png", "标志.png", samples.SVG, "不允许上传 SVG 或 XML 文件（可能含有脚本）。"),
    ("xml-as-docx", "通知.docx", b'<?xml version="1.0"?><a/>', "不允许上传 SVG 或 XML 文件（可能含有脚本）。"),
    ("html-as-jpg", "活动照片.jpg", samples.HTML, "不允许上传网页（HTML）文件。"),
    ("markup-as-pdf", "方案.pdf", b"<p>hello</p>", "不允许上传网页（HTML）文件。"),
    ("plain-zip-as-docx", "材料.docx", samples.zipfile_bytes(), "不允许上传压缩包。"),
    (
        "zip-without-office-part",
        "材料.docx",
        _ooxml({"[Content_Types].xml": b"<Types/>", "other/a.xml": b"<a/>"}),
        "不允许上传压缩包。",
    ),
    (
        "vba-in-docx",
        "通知.docx",
        _ooxml({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}),
        "不允许上传含宏的文档。",
    ),
    ("zip-bomb", "总结.docx", samples.zip_bomb_docx(), "文档解压后体积异常，疑似“压缩炸弹”。"),
    (
        "broken-zip",
        "总结.docx",
        samples.docx()[:-200],
        "文档已损坏或无法识别。",
    ),
    ("jpeg-as-png", "照片.png", samples.jpeg(), "文件内容与扩展名不符（例如把网页或程序改名成了图片）。"),
    ("text-as-jpg", "照片.jpg", b"just words", "文件内容与扩展名不符（例如把网页或程序改名成了图片）。"),
    (
        "heic-as-mp4",
        "视频.mp4",
        samples.mp4().replace(b"ftypisom", b"ftypheic"),
        "文件内容与扩展名不符（例如把网页或程序改名成了图片）。",
    ),
    ("ole2-as-docx", "通知.docx", samples.ole2(), "文件内容与扩展名不符（例如把网页或程序改名成了图片）。"),
    (
        "png-html-polyglot",
        "现场.png",
        samples.image("PNG") + samples.HTML,
        "文件中夹带网页或脚本代码（疑似伪装文件）。",
    ),
    (
        "jpeg-javascript-polyglot",
        "照片.jpg",
        samples.jpeg()[:-2] + b"javascript:alert(1)" + b"\xff\xd9",
        "文件中夹带网页或脚本代码（疑似伪装文件）。",
    ),
    (
        "pdf-html-polyglot",
        "方案.pdf",
        samples.pdf() + b"<script>alert(1)</script>",
        "文件中夹带网页或脚本代码（疑似伪装文件）。",
    ),
    ("nul-in-text", "说明.txt", "签到表\x00张三".encode(), "文件内容不是文本。"),
    (
        "undecodable-text",
        "说明.txt",
        b"\xff\xff\xff\x80",
        "文本文件编码无法识别（请使用 UTF-8、GBK 或带 BOM 的 UTF-16）。",
    ),
    (
        "odd-utf16",
        "说明.txt",
        b"\xff\xfe" + "签到".encode("utf-16-le") + b"\x00",
        "文本文件编码无法识别（请使用 UTF-8、GBK 或带 BOM 的 UTF-16）。",
    ),
    ("nul-in-utf16", "说明.txt", "\ufeff签\x00到".encode("utf-16-le"), "文件内容不是文本。"),
    ("shebang-in-utf16", "说明.txt", "\ufeff#!/bin/sh\n".encode("utf-16-le"), "不允许上传脚本文件。"),
    ("html-document-as-txt", "说明.txt", samples.HTML, "不允许把网页或 SVG 文件改名为文本文件上传。"),
    ("svg-document-as-txt", "说明.txt", samples.SVG, "不允许把网页或 SVG 文件改名为文本文件上传。"),
    ("xml-document-as-txt", "说明.txt", b'<?xml version="1.0"?><svg/>', "不允许把网页或 SVG 文件改名为文本文件上传。"),
    (
        "html-in-utf16-as-txt",
        "说明.txt",
        "\ufeff<html><script>x</script>".encode("utf-16-le"),
        "不允许把网页或 SVG 文件改名为文本文件上传。",
    ),
    (
        "pixel-bomb-past-pillow",
        "全景.png",
        samples.png_claiming(30_000, 30_000),
        "图片尺寸异常，疑似“解压炸弹”，请压缩后再上传。",
    ),
    (
        "pixel-bomb-past-our-limit",
        "全景.png",
        samples.png_claiming(10_000, 6_000),
        "图片尺寸异常（10000×6000 像素），疑似“解压炸弹”，请压缩后再上传。",
    ),
    ("mpo-as-jpg", "立体照片.jpg", _mpo(), "图片内容与其格式不符。"),
    ("truncated-jpeg", "照片.jpg", samples.jpeg()[:200], "图片已损坏或无法识别。"),
    (
        "png-with-trailer",
        "现场.png",
        samples.image("PNG") + b"PK\x03\x04 appended archive",
        "图片在结尾附带了其他内容（疑似伪装文件）。",
    ),
]


@pytest.mark.parametrize(("case", "name", "data", "message"), CONTENT_CASES, ids=[c[0] for c in CONTENT_CASES])
def test_content_refusals_have_their_exact_message(case, name, data, message):
    exc = refusal(name, data)
    assert exc.reason == message
    assert str(exc) == f"“{name}”未上传：{message}"


def test_oversize_names_the_size_and_the_limit(settings):
    settings.LEDGER_MAX_FILE_MB = 1
    exc = refusal("说明.txt", b"a" * (3 * 1024 * 1024 // 2))
    assert exc.reason == "文件过大（1.5 MB，单个文件不超过 1 MB）。"


# ------------------------------------------------------------------------------
# PDF: script however it is spelt or packed
# ------------------------------------------------------------------------------
def _objstm(packed: tuple[bytes, ...], **kwargs) -> bytes:
    data, _numbers = pdf_samples.with_object_stream(packed, **kwargs)
    return data


PDF_CASES = [
    (
        # Outside every xref section (appended after %%EOF): pypdf never meets it; a repairing viewer may.
        "hex-escaped-object-after-eof",
        pdf_samples.classic() + b"9 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n",
    ),
    ("open-action-js", pdf_samples.classic(catalog_extra=b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>")),
    ("hex-escaped-javascript", pdf_samples.classic(catalog_extra=b" /OpenAction << /S /J#61vaScript /J#53 (x) >>")),
    (
        "hex-escaped-js-key",
        pdf_samples.classic(catalog_extra=b" /AA << /O << /S /#4A#61#76#61#53cript /#4A#53 (x) >> >>"),
    ),
    ("hex-escaped-launch", pdf_samples.classic(catalog_extra=b" /OpenAction << /S /L#61unch /F (calc.exe) >>")),
    (
        "names-javascript-tree",
        pdf_samples.classic(catalog_extra=b" /Names << /J#61vaScript 5 0 R >>", extra_objects=(b"<< /Names [] >>",)),
    ),
    (
        "javascript-in-object-stream",
        _objstm((b"<< /S /JavaScript /JS (app.alert(1)) >>",), catalog_extra=b" /OpenAction 6 0 R"),
    ),
    (
        "launch-annotation-in-object-stream",
        _objstm(
            (b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (calc.exe) >> >>",),
            page_extra=b" /Annots [6 0 R]",
        ),
    ),
    (
        "page-additional-action-in-object-stream",
        _objstm((b"<< /O << /S /JavaScript /JS 7 0 R >> >>", b"(app.alert(1))"), page_extra=b" /AA 6 0 R"),
    ),
    (
        "unreferenced-js-in-object-stream",
        _objstm((b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
    ),
    (
        "embedded-file-in-object-stream",
        _objstm(
            (b"<< /EmbeddedFiles << /Names [(a.exe) 7 0 R] >> >>", b"<< /Type /Filespec /F (a.exe) >>"),
            catalog_extra=b" /Names 6 0 R",
        ),
    ),
    (
        "xfa-form-in-object-stream",
        _objstm((b"<< /Fields [] /XFA 7 0 R >>", b"<< >>"), catalog_extra=b" /AcroForm 6 0 R"),
    ),
    (
        "javascript-uri-hex-string",
        pdf_samples.classic(
            page_extra=b" /Annots [5 0 R]",
            extra_objects=(
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI "
                b"/URI <6a6176617363726970743a616c657274283129> >> >>",
            ),
        ),
    ),
]


@pytest.mark.parametrize(("case", "data"), PDF_CASES, ids=[c[0] for c in PDF_CASES])
def test_pdf_script_is_refused_however_it_is_spelt_or_packed(case, data):
    assert refusal("方案.pdf", data).reason == PDF_ACTIVE


def test_the_compressed_cases_hide_their_names_from_a_byte_search():
    """The object-stream samples really are compressed: no active name appears in their bytes."""
    for case, data in PDF_CASES:
        if "object-stream" in case:
            assert not uploads.PDF_ACTIVE.search(data), case
            assert b"JavaScript" not in data and b"Launch" not in data, case


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("classic", pdf_samples.classic()),
        (
            "object-stream",
            _objstm(
                (b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /Contents (ok) >>",), page_extra=b" /Annots [6 0 R]"
            ),
        ),
        (
            "https-link",
            pdf_samples.classic(
                page_extra=b" /Annots [5 0 R]",
                extra_objects=(
                    b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI "
                    b"/URI (https://www.wenming.cn/) >> >>",
                ),
            ),
        ),
        ("hash-in-name", pdf_samples.classic(catalog_extra=b" /PageMode /Use#4Futlines")),
    ],
)
def test_ordinary_pdfs_are_accepted(case, data):
    checked = check_file("方案.pdf", data)
    assert (checked.detected_type, checked.content_type) == ("pdf", "application/pdf")


def test_a_pdf_written_by_pypdf_is_accepted():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    out = io.BytesIO()
    writer.write(out)
    assert check_file("方案.pdf", out.getvalue()).detected_type == "pdf"


@pytest.mark.parametrize(
    ("case", "data"),
    [
        ("header-only", b"%PDF-1.7\n"),
        ("garbage-after-header", b"%PDF-1.4\n" + bytes(range(256)) * 4),
        ("truncated", pdf_samples.classic()[:150]),
        (
            "broken-object-stream",
            # The zlib header of the object stream spoilt: pypdf cannot unpack what it packs.
            _objstm((b"<< /S /JavaScript /JS (x) >>",)).replace(b"x\x9c", b"x\x00", 1),
        ),
    ],
)
def test_a_pdf_that_cannot_be_parsed_is_refused_as_damaged(case, data):
    assert refusal("方案.pdf", data).reason == "PDF 文件已损坏或无法识别。"


def _encrypted(user_password: str, algorithm: str, *, javascript: bool = False) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 100)
    if javascript:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert(1);"))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_locked_with_a_password_is_refused_because_it_cannot_be_inspected(algorithm):
    assert (
        refusal("方案.pdf", _encrypted("secret", algorithm)).reason
        == "PDF 已加密，无法检查其内容，请去除密码后再上传。"
    )


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_permissions_only_encrypted_pdf_is_opened_and_inspected(algorithm):
    """A PDF "禁止复制" opens with the empty password: it is accepted when clean, refused when it has script."""
    assert check_file("方案.pdf", _encrypted("", algorithm)).detected_type == "pdf"
    assert refusal("方案.pdf", _encrypted("", algorithm, javascript=True)).reason == PDF_ACTIVE


def test_a_pdf_with_too_many_objects_to_walk_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "PDF_MAX_OBJECTS", 3)
    assert (
        refusal("方案.pdf", pdf_samples.classic()).reason == "PDF 结构过于复杂，无法检查，请另存为普通 PDF 后再上传。"
    )


# ------------------------------------------------------------------------------
# Plain text that only looks dangerous is a legitimate note
# ------------------------------------------------------------------------------
TEXT_CASES = [
    ("opens-with-angle", "<活动说明>\n时间：5月12日\n".encode(), "text/plain; charset=utf-8"),
    ("opens-with-tag-like", "<p>不是网页，只是笔记</p>".encode(), "text/plain; charset=utf-8"),
    ("mentions-javascript", "链接示例：javascript:void(0) 不要点击\n".encode(), "text/plain; charset=utf-8"),
    ("mentions-script-tag", "会上讲解了 <script> 标签的风险。\n".encode(), "text/plain; charset=utf-8"),
    ("utf8-bom", "\ufeff签到表\n张三\n".encode(), "text/plain; charset=utf-8"),
    ("utf16-le-bom", "\ufeff签到表\n<张三>\n".encode("utf-16-le"), "text/plain; charset=utf-16"),
    ("utf16-be-bom", "\ufeff签到表\n李四\n".encode("utf-16-be"), "text/plain; charset=utf-16"),
    ("gbk", "签到表\n王五 办公室\n".encode("gbk"), "text/plain; charset=gb18030"),
]


@pytest.mark.parametrize(("case", "data", "content_type"), TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_plain_text_notes_are_accepted_with_their_charset(case, data, content_type):
    checked = check_file("说明.txt", data)
    assert (checked.detected_type, checked.content_type) == ("txt", content_type)


@pytest.mark.django_db
def test_a_utf16_note_opening_with_angle_is_served_as_plain_text_with_nosniff(client, event_a, world):
    data = "\ufeff<会议纪要>\njavascript: 只是文字\n".encode("utf-16-le")
    [row] = services.evidence_add(
        event=event_a, slot=Slot.OTHER, uploads=[services.Upload("纪要.txt", data)], uploaded_by=world.user("a_liaison")
    )
    client.force_login(world.user("a_liaison"))
    for url_name in ("ledger:file_preview", "ledger:file_download"):
        response = client.get(reverse(url_name, args=[row.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-16"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response["Content-Security-Policy"]
        assert b"".join(response.streaming_content) == data


# ------------------------------------------------------------------------------
# The batch as a whole (the service)
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_batch_refusals_have_their_exact_message(event_a, world, settings):
    liaison = world.user("a_liaison")
    photo = services.Upload("a.jpg", samples.jpeg(seed=21))

    def message(**kwargs) -> str:
        with pytest.raises((UploadRefused, services.LedgerError)) as exc:
            services.evidence_add(event=event_a, uploaded_by=liaison, **{"slot": Slot.PHOTO, **kwargs})
        return str(exc.value)

    assert message(slot="nonsense", uploads=[photo]) == "请选择材料类别。"
    assert message(uploads=[]) == "请选择要上传的文件。"
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    four = [services.Upload(f"{i}.jpg", samples.jpeg(seed=30 + i)) for i in range(4)]
    assert message(uploads=four) == "一次最多上传 3 个文件，请分批上传。"
    assert (
        message(uploads=[photo, services.Upload("b.jpg", photo.data)])
        == "“b.jpg”未上传：本次选择的文件中有内容相同的两份。"
    )
    services.evidence_add(event=event_a, slot=Slot.PHOTO, uploads=[photo], uploaded_by=liaison)
    assert (
        message(uploads=[services.Upload("c.jpg", photo.data)])
        == "“c.jpg”未上传：本档案中已有内容相同的文件（重复上传）。"
    )
    services.ledger_settings_update(campaign=event_a.campaign, review_enabled=True, max_dossier_mb=1)
    big = services.Upload("大.txt", b"x" * (1024 * 1024))
    assert message(slot=Slot.OTHER, uploads=[big]) == "本档案的材料总量将超过 1 MB 上限，请删减后再上传。"
    event_a.status = EventStatus.ARCHIVED  # a submitted dossier still takes files (issue 14); an archived one not
    event_a.save(update_fields=["status"])
    assert message(uploads=[services.Upload("d.jpg", samples.jpeg(seed=40))]) == "档案已归档，不能再修改。"
    assert EvidenceFile.objects.count() == 1
