//! Writing a [`Report`] as XML text: elements indented four spaces a level, each text
//! escaped in one pass (see [`escape_into`]).

use std::fmt::Write as _;
use std::time::Duration;

use super::{Counts, Kind, Property, Report, TestCase, TestSuite};

impl Report {
    /// The document as XML text.
    pub(crate) fn to_xml(&self) -> String {
        let mut counts = Counts::default();
        for suite in &self.suites {
            counts.add(suite.counts);
        }
        let mut out = Xml(String::with_capacity(self.size_hint()));
        out.0
            .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.open("testsuites", 0);
        out.attr("name", &self.name);
        out.counts(counts);
        out.time(self.time);
        out.0.push_str(">\n");
        for suite in &self.suites {
            out.suite(suite);
        }
        out.0.push_str("</testsuites>\n");
        out.0
    }

    /// Roughly the document's length: the texts it carries.
    fn size_hint(&self) -> usize {
        let case = |c: &TestCase| {
            256 + c.system_out.as_ref().map_or(0, String::len)
                + c.status.description.as_ref().map_or(0, String::len)
        };
        self.suites
            .iter()
            .flat_map(|s| &s.cases)
            .map(case)
            .sum::<usize>()
            + 4096
    }
}

/// The text being written.
struct Xml(String);

impl Xml {
    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.0.push_str("    ");
        }
    }

    /// `<tag` at `depth`, attributes to follow.
    fn open(&mut self, tag: &str, depth: usize) {
        self.indent(depth);
        self.0.push('<');
        self.0.push_str(tag);
    }

    fn attr(&mut self, name: &str, value: &str) {
        self.0.push(' ');
        self.0.push_str(name);
        self.0.push_str("=\"");
        escape_into(&mut self.0, value, true);
        self.0.push('"');
    }

    fn counts(&mut self, counts: Counts) {
        let _ = write!(
            self.0,
            " tests=\"{}\" skipped=\"{}\" failures=\"{}\" errors=\"{}\"",
            counts.tests, counts.skipped, counts.failures, counts.errors
        );
    }

    fn time(&mut self, time: Option<Duration>) {
        if let Some(time) = time {
            let _ = write!(self.0, " time=\"{:.3}\"", time.as_secs_f64());
        }
    }

    /// `<tag>text</tag>` on a line of its own at `depth`.
    fn text_element(&mut self, tag: &str, text: &str, depth: usize) {
        self.open(tag, depth);
        self.text_and_close(tag, text);
    }

    /// `>text</tag>`: the end of an opened element with its text.
    fn text_and_close(&mut self, tag: &str, text: &str) {
        self.0.push('>');
        escape_into(&mut self.0, text, false);
        self.close(tag);
    }

    /// `</tag>` and the line's end.
    fn close(&mut self, tag: &str) {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push_str(">\n");
    }

    fn properties(&mut self, properties: &[Property], depth: usize) {
        if properties.is_empty() {
            return;
        }
        self.indent(depth);
        self.0.push_str("<properties>\n");
        for p in properties {
            self.open("property", depth + 1);
            self.attr("name", &p.name);
            self.attr("value", &p.value);
            self.0.push_str("/>\n");
        }
        self.indent(depth);
        self.0.push_str("</properties>\n");
    }

    fn suite(&mut self, suite: &TestSuite) {
        self.open("testsuite", 1);
        self.attr("name", &suite.name);
        self.counts(suite.counts);
        self.time(suite.time);
        if suite.properties.is_empty() && suite.cases.is_empty() {
            self.0.push_str("/>\n");
            return;
        }
        self.0.push_str(">\n");
        self.properties(&suite.properties, 2);
        for case in &suite.cases {
            self.case(case);
        }
        self.indent(1);
        self.close("testsuite");
    }

    fn case(&mut self, case: &TestCase) {
        self.open("testcase", 2);
        self.attr("name", &case.name);
        if let Some(classname) = &case.classname {
            self.attr("classname", classname);
        }
        self.time(case.time);
        let status = &case.status;
        let empty = case.properties.is_empty()
            && case.system_out.is_none()
            && status.kind == Kind::Success
            && status.reruns.is_empty();
        if empty {
            self.0.push_str("/>\n");
            return;
        }
        self.0.push_str(">\n");
        self.properties(&case.properties, 3);
        let tag = match status.kind {
            Kind::Success => None,
            Kind::NonSuccess(kind) => Some(kind.tag()),
            Kind::Skipped => Some("skipped"),
        };
        if let Some(tag) = tag {
            self.status(
                tag,
                status.message.as_deref(),
                status.ty.as_deref(),
                status.description.as_deref(),
            );
        }
        for rerun in &status.reruns {
            self.status(
                rerun.kind.flaky_tag(),
                rerun.message.as_deref(),
                rerun.ty.as_deref(),
                rerun.description.as_deref(),
            );
        }
        if let Some(text) = &case.system_out {
            self.text_element("system-out", text, 3);
        }
        self.indent(2);
        self.close("testcase");
    }

    fn status(&mut self, tag: &str, message: Option<&str>, ty: Option<&str>, text: Option<&str>) {
        self.open(tag, 3);
        if let Some(message) = message {
            self.attr("message", message);
        }
        if let Some(ty) = ty {
            self.attr("type", ty);
        }
        match text {
            Some(text) => self.text_and_close(tag, text),
            None => self.0.push_str("/>\n"),
        }
    }
}

/// Appends `text` to `out` escaped for XML: `&`, `<` and `>` always, the quotes and the line
/// breaks in an attribute (where a reader would otherwise fold them into spaces), and the
/// control characters XML 1.0 does not allow dropped.
fn escape_into(out: &mut String, text: &str, attribute: bool) {
    crate::report::escape::replacing_into(out, text, |byte| match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' if attribute => Some("&quot;"),
        b'\'' if attribute => Some("&apos;"),
        b'\n' if attribute => Some("&#10;"),
        b'\r' if attribute => Some("&#13;"),
        b'\t' if attribute => Some("&#9;"),
        b'\r' => Some("&#13;"),
        b'\t' | b'\n' => None,
        0..=0x1f => Some(""),
        _ => None,
    });
}

#[cfg(test)]
mod tests {
    use super::super::{NonSuccessKind, TestCaseStatus};
    use super::*;

    fn escaped(text: &str, attribute: bool) -> String {
        let mut out = String::new();
        escape_into(&mut out, text, attribute);
        out
    }

    #[test]
    fn text_keeps_line_breaks_and_drops_what_xml_forbids() {
        assert_eq!(
            escaped("a<b>&\"c\"\n\x1b[31mred\x00é", false),
            "a&lt;b&gt;&amp;\"c\"\n[31mredé"
        );
        assert_eq!(
            escaped("say \"hi\"\n'there'\tnow", true),
            "say &quot;hi&quot;&#10;&apos;there&apos;&#9;now"
        );
    }

    #[test]
    fn counts_follow_the_statuses() {
        let mut suite = TestSuite::new("s");
        suite.add_test_case(TestCase::new("a", TestCaseStatus::success()));
        let mut failed = TestCaseStatus::non_success(NonSuccessKind::Failure);
        failed.set_message("m").set_description("d <x>");
        suite.add_test_case(TestCase::new("b", failed));
        suite.add_test_case(TestCase::new("c", TestCaseStatus::skipped()));
        let mut report = Report::new("r");
        report.add_test_suite(suite);
        let xml = report.to_xml();
        assert!(xml.contains(
            "<testsuites name=\"r\" tests=\"3\" skipped=\"1\" failures=\"1\" errors=\"0\">"
        ));
        assert!(xml.contains("<failure message=\"m\">d &lt;x&gt;</failure>"));
        assert!(xml.contains("<testcase name=\"a\"/>"));
    }
}
