"""Studio pages of the question banks (题库): list, Excel import with its template, export
of a bank as its course file, per-question statistics across quizzes. Same access rule as
the rest of the studio (its blueprint's `authors_only`)."""
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField

from ..domain.bank import banks, template, xlsximport
from ..domain.coursefiles import export
from ..domain.quiz.quizstats import bank_stats
from ..web import db_session, unit_of_work
from .views import audit_export, studio_bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(FlaskForm):
    """An Excel file and the bank it goes into."""

    file = FileField(_l("Excel 文件（.xlsx）"))
    bank = StringField(_l("题库标识（小写字母、数字、连字符）"), default=banks.DEFAULT_BANK)
    name = StringField(_l("题库名称（新建题库时填写）"))


@studio_bp.get("/banks")
def banks_index():
    """The banks with their questions and tags, and the import form."""
    return _page(ImportForm())


@studio_bp.post("/banks/import")
def banks_import():
    """Check the whole file; import nothing on any problem (listed by row), else audit."""
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return _page(form, problems=[], error=_("请选择要导入的 Excel 文件。")), 422
    name = upload.filename
    try:
        key = banks.check_key(form.bank.data)
    except banks.BankError as error:
        return _page(form, error=error.message), 422
    questions, problems = xlsximport.read_xlsx(upload.read(), name)
    if problems:
        return _page(form, problems=problems, file_name=name), 422
    try:
        with unit_of_work() as db:
            summary = banks.apply_import(db, questions, key, form.name.data, file_name=name)
            if not summary.is_empty:
                banks.record_import(db, summary, name, current_user.user.id, "studio",
                                    ip=request.remote_addr)
    except banks.AnsweredKeys as error:  # a changed key officers answered: regrade first
        return _page(form, problems=error.problems, file_name=name), 422
    except banks.BankError as error:
        return _page(form, error=error.message), 422
    if summary.is_empty:
        flash(_("没有变化：题库「%(bank)s」已包含这 %(n)s 道题。", bank=key,
                n=summary.unchanged), "success")
    else:
        flash(_("已导入题库「%(bank)s」：新增 %(added)s 道，更新 %(changed)s 道，"
                "未变 %(unchanged)s 道。", bank=key, added=summary.added,
                changed=summary.changed, unchanged=summary.unchanged), "success")
    return redirect(url_for(".banks_index"), code=303)


@studio_bp.get("/banks/template.xlsx")
def banks_template():
    """The import template: Chinese headers, sample rows, a sheet of instructions."""
    return Response(template.template_xlsx(), mimetype=XLSX, headers={
        "Content-Disposition": "attachment; filename=\"question-bank-template.xlsx\"; "
                               "filename*=UTF-8''%E9%A2%98%E5%BA%93%E5%AF%BC%E5%85%A5%E6"
                               "%A8%A1%E6%9D%BF.xlsx"})


@studio_bp.get("/banks/<key>/export")
def bank_export(key: str):
    """The bank as its course file, ``<key>.yml`` (the folder export's writer)."""
    db = db_session()
    bank = banks.bank_by_key(db, key) or abort(404)
    name, text = export.item_file(db, bank, current_app.config["LMS_TIMEZONE"])
    audit_export(name)
    return Response(text.encode("utf-8"), mimetype="application/yaml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@studio_bp.get("/banks/<key>/stats")
def bank_stats_page(key: str):
    """Each bank question's figures over every quiz that drew it."""
    db = db_session()
    bank = banks.bank_by_key(db, key) or abort(404)
    return render_template("lms/studio/stats.html", title=bank.name, kind="bank",
                           stats=bank_stats(db, bank.id), back=url_for(".banks_index"))


def _page(form: ImportForm, problems=None, error: str | None = None, file_name: str = ""):
    return render_template("lms/studio/banks.html", form=form, problems=problems,
                           error=error, file_name=file_name,
                           banks=banks.bank_lines(db_session()),
                           max_rows=xlsximport.MAX_ROWS)
