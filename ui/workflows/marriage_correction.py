"""Going back from 审查 to correct the form before 登记 (a typo seen at review): the same accepted case and
acceptance number; MarriageService.correct checks the corrected case again and audits the changed fields.

A mixin of MarriagePage: it drives the page's own widgets and steps."""
from __future__ import annotations

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
        changed = self._call("未能保存更正", lambda: self.service.correct(self.record_id, self.collect_case()))
        if changed is None:
            return
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
