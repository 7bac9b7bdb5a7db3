"""Going back from 审查 to correct the form before 登记 (a typo seen at review): the same accepted case and
acceptance number; MarriageService.correct checks the corrected case again and audits the changed fields.

Going back to the stored case when another counter changed it (RECORD_CHANGED): the presenter says who and
when, everything typed stays where it is, and only the clerk's 重新读取受理记录 replaces the form with the
record as it now is (asking first when an unsaved correction would be lost).

A mixin of MarriagePage: it drives the page's own widgets and steps."""
from __future__ import annotations

from registry_app.domain.parties import PersonInput
from registry_app.domain.states import MarriageState
from ui.errors import error_text, present_error

#: The page's steps; CORRECT is an accepted case's form open again.
FORM, ACCEPTED, REVIEWED, DONE, CORRECT = range(5)


class CorrectionFlow:
    """返回修改信息 / 保存更正 / 放弃修改."""

    _before_correction = None

    def start_correction(self) -> None:
        """Back from 审查 to the form, keeping the acceptance number; 放弃修改 restores what is stored."""
        if self.record_id is None or self.step not in (ACCEPTED, REVIEWED):
            return
        self._before_correction = (self.step, self.collect_case())
        self._set_step(CORRECT)
        self.panel.show_state("info", f"正在修改受理号 {self.record_id} 的信息。改正后点击“保存更正”，"
                                      "保存后须重新审查（声明书按更正后的信息重新签署）。")
        self.form_scroll.verticalScrollBar().setValue(0)
        self.party1.name.setFocus()

    def save_correction(self) -> None:
        if self._form_has_local_issues():
            return
        changed = self._call("未能保存更正", lambda: self.service.correct(self.record_id, self.collect_case(),
                                                                        version=self.version))
        if changed is None:
            return
        self.version = changed.version
        self.state.signals.records_changed.emit()
        self.declarations["signed"].setChecked(False)
        self._set_step(ACCEPTED)
        self._show_accepted(f"已保存更正（{len(changed)} 项），受理号 {self.record_id} 不变。")

    def discard_correction(self) -> None:
        if self.step != CORRECT:
            return
        step, case = self._before_correction
        self.check_timer.stop()
        self.party1.set_person(case.party1)
        self.party2.set_person(case.party2)
        self.variant.setCurrentIndex(max(0, self.variant.findData(case.variant)))
        self.union_began.setText(case.union_began.isoformat() if case.union_began else "")
        for key, value in case.declarations.__dict__.items():
            self.declarations[key].setChecked(value)
        self.declarations["signed"].setChecked(case.declarations_signed)
        self.check_timer.stop()
        self._set_step(step)
        if step == REVIEWED:
            self.panel.show_state("info", "未修改。请与当事人核对左侧信息后点击“登记”。")
            self._show_field_issues([])
        else:
            self._show_accepted("未修改。")

    # --- another counter changed the case -------------------------------------------------------------
    def record_changed(self, exc) -> None:
        """A step was refused with RECORD_CHANGED: tell the clerk, keep the form, offer 重新读取."""
        self.stale = True
        present_error(self.state.prompter, exc, self.title)
        self.panel.show_state("bad", f"受理号 {self.record_id}：{error_text(exc)}\n"   # names who and when
                                     "您录入的内容仍在；请点击“重新读取受理记录”。")
        self._set_step(self.step)   # shows 重新读取; nothing typed is touched
        self.reload_button.setFocus()

    def reload_record(self) -> None:
        """The clerk asked: the record as it now is, with its version, replaces the form."""
        if self.record_id is None:
            return
        if self.step == CORRECT and not self.state.prompter.confirm(
                "重新读取受理记录", "重新读取将以现在的受理记录替换表格中尚未保存的更正。确定重新读取？"):
            return
        try:
            view = self.service.view(self.record_id)
        except Exception as exc:  # noqa: BLE001 — a coded refusal or a defect, shown the one way
            present_error(self.state.prompter, exc, self.title)
            return
        self.stale = False
        self.version = view.version
        if view.status not in (MarriageState.ACCEPTED, MarriageState.REVIEWED):
            record_id = view.record_id   # registered or cancelled at the other counter: nothing left here
            self.new_case()
            number = f"（结婚证字号 {view.certificate_no}）" if view.certificate_no else ""
            self.panel.show_state("info", f"受理号 {record_id} 现为“{view.status_zh}”{number}，"
                                          "本页没有可继续办理的步骤。")
            return
        self._fill_from(view)
        if view.status == MarriageState.REVIEWED:
            self._set_step(REVIEWED)
            self.check_timer.stop()
            self.panel.show_state("info", "已重新读取（其他工作人员改动过）。请与当事人核对左侧信息后点击“登记”。")
            self._show_field_issues([])
            self._refresh_summary()
        else:
            self._set_step(ACCEPTED)
            self.check_timer.stop()
            self._show_accepted("已重新读取受理记录（其他工作人员改动过），请与当事人核对。")

    def _fill_from(self, view) -> None:
        """The stored case into the form; the blank serial, the photo chosen and the witness typed are the
        clerk's and stay unless the record names a witness."""
        for form, stored in zip((self.party1, self.party2), view.parties[:2]):
            person, _issues = PersonInput.from_dict(stored, "party")
            if person is not None:
                form.set_person(person)
        data = view.data
        self.variant.setCurrentIndex(max(0, self.variant.findData(view.variant or "ordinary")))
        self.union_began.setText(data.get("union_began") or "")
        for key, value in (data.get("declarations") or {}).items():
            if key in self.declarations:
                self.declarations[key].setChecked(bool(value))
        self.declarations["signed"].setChecked(bool(data.get("declarations_signed")))
        if data.get("witness"):
            self.witness.setText(data["witness"])
        self.check_timer.stop()
