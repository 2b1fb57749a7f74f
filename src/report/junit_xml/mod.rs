//! A JUnit XML document (its writer is the sibling `write`): the subset of the Jenkins flavour `junit.xml` uses
//! (`<testsuites>`, `<testsuite>` with `<properties>`, `<testcase>` with `<failure>`,
//! `<error>`, `<skipped>`, `<flakyError>` and `<system-out>`), written straight into one
//! string.
//!
//! The report's transcripts make most of the document, so the writer is built for text: it
//! copies each run of ordinary characters at once and only stops at the five XML
//! metacharacters and at the control characters XML 1.0 forbids, which it drops (an escape
//! sequence in a server's body then loses its ESC and shows as plain text). A general XML
//! library that first passed every string through an escape-sequence parser took 15 ms for
//! the built-in suite's 0.9 MB; this takes about one. Any JUnit reader reads the result:
//! the tests read it with junitparser and with quick-junit's reader.

use std::time::Duration;

/// A testcase's outcome other than success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonSuccessKind {
    /// `<failure>`: the assertion did not hold.
    Failure,
    /// `<error>`: the test could not run as meant.
    Error,
}

impl NonSuccessKind {
    fn tag(self) -> &'static str {
        match self {
            NonSuccessKind::Failure => "failure",
            NonSuccessKind::Error => "error",
        }
    }

    fn flaky_tag(self) -> &'static str {
        match self {
            NonSuccessKind::Failure => "flakyFailure",
            NonSuccessKind::Error => "flakyError",
        }
    }
}

/// What a testcase's status element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Success,
    NonSuccess(NonSuccessKind),
    Skipped,
}

/// A testcase's status: success (with the earlier attempts of a flaky test), a failure or
/// error, or skipped; with the element's message, type and text.
#[derive(Debug, Clone)]
pub(crate) struct TestCaseStatus {
    kind: Kind,
    message: Option<String>,
    ty: Option<String>,
    description: Option<String>,
    reruns: Vec<TestRerun>,
}

impl TestCaseStatus {
    fn of(kind: Kind) -> TestCaseStatus {
        TestCaseStatus {
            kind,
            message: None,
            ty: None,
            description: None,
            reruns: Vec::new(),
        }
    }

    /// A passed testcase.
    pub(crate) fn success() -> TestCaseStatus {
        TestCaseStatus::of(Kind::Success)
    }

    /// A failed or errored testcase.
    pub(crate) fn non_success(kind: NonSuccessKind) -> TestCaseStatus {
        TestCaseStatus::of(Kind::NonSuccess(kind))
    }

    /// A skipped testcase.
    pub(crate) fn skipped() -> TestCaseStatus {
        TestCaseStatus::of(Kind::Skipped)
    }

    /// The status element's `message` attribute.
    pub(crate) fn set_message(&mut self, message: impl Into<String>) -> &mut Self {
        self.message = Some(message.into());
        self
    }

    /// The status element's `type` attribute.
    pub(crate) fn set_type(&mut self, ty: impl Into<String>) -> &mut Self {
        self.ty = Some(ty.into());
        self
    }

    /// The status element's text.
    pub(crate) fn set_description(&mut self, description: impl Into<String>) -> &mut Self {
        self.description = Some(description.into());
        self
    }

    /// Earlier attempts of a test that passed in the end (`<flakyFailure>`/`<flakyError>`).
    pub(crate) fn add_reruns(&mut self, reruns: impl IntoIterator<Item = TestRerun>) -> &mut Self {
        self.reruns.extend(reruns);
        self
    }
}

/// An earlier attempt of a flaky testcase.
#[derive(Debug, Clone)]
pub(crate) struct TestRerun {
    /// Whether the attempt failed or errored.
    pub(crate) kind: NonSuccessKind,
    /// The element's `message` attribute.
    pub(crate) message: Option<String>,
    /// The element's `type` attribute.
    pub(crate) ty: Option<String>,
    /// The element's text.
    pub(crate) description: Option<String>,
}

/// A `<property name value>`.
#[derive(Debug, Clone)]
pub(crate) struct Property {
    name: String,
    value: String,
}

impl Property {
    /// The property `name` = `value`.
    pub(crate) fn new(name: impl Into<String>, value: impl Into<String>) -> Property {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A `<testcase>`.
#[derive(Debug, Clone)]
pub(crate) struct TestCase {
    name: String,
    classname: Option<String>,
    time: Option<Duration>,
    status: TestCaseStatus,
    properties: Vec<Property>,
    system_out: Option<String>,
}

impl TestCase {
    /// The testcase `name` with `status`.
    pub(crate) fn new(name: impl Into<String>, status: TestCaseStatus) -> TestCase {
        TestCase {
            name: name.into(),
            classname: None,
            time: None,
            status,
            properties: Vec::new(),
            system_out: None,
        }
    }

    /// The `classname` attribute.
    pub(crate) fn set_classname(&mut self, classname: impl Into<String>) -> &mut Self {
        self.classname = Some(classname.into());
        self
    }

    /// The `time` attribute.
    pub(crate) fn set_time(&mut self, time: Duration) -> &mut Self {
        self.time = Some(time);
        self
    }

    /// A property of the testcase.
    pub(crate) fn add_property(&mut self, property: Property) -> &mut Self {
        self.properties.push(property);
        self
    }

    /// The `<system-out>` text.
    pub(crate) fn set_system_out(&mut self, text: impl Into<String>) -> &mut Self {
        self.system_out = Some(text.into());
        self
    }
}

/// The counts a `<testsuite>` and `<testsuites>` carry.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tests: usize,
    skipped: usize,
    failures: usize,
    errors: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tests += other.tests;
        self.skipped += other.skipped;
        self.failures += other.failures;
        self.errors += other.errors;
    }
}

/// A `<testsuite>`.
#[derive(Debug, Clone)]
pub(crate) struct TestSuite {
    name: String,
    time: Option<Duration>,
    properties: Vec<Property>,
    cases: Vec<TestCase>,
    counts: Counts,
}

impl TestSuite {
    /// An empty suite `name`.
    pub(crate) fn new(name: impl Into<String>) -> TestSuite {
        TestSuite {
            name: name.into(),
            time: None,
            properties: Vec::new(),
            cases: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// The suite's properties.
    pub(crate) fn add_properties(&mut self, properties: impl IntoIterator<Item = Property>) {
        self.properties.extend(properties);
    }

    /// A testcase, counted by its status.
    pub(crate) fn add_test_case(&mut self, case: TestCase) {
        self.counts.tests += 1;
        match case.status.kind {
            Kind::Success => {}
            Kind::NonSuccess(NonSuccessKind::Failure) => self.counts.failures += 1,
            Kind::NonSuccess(NonSuccessKind::Error) => self.counts.errors += 1,
            Kind::Skipped => self.counts.skipped += 1,
        }
        self.cases.push(case);
    }

    /// The `time` attribute.
    pub(crate) fn set_time(&mut self, time: Duration) {
        self.time = Some(time);
    }
}

/// The `<testsuites>` document.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    name: String,
    time: Option<Duration>,
    suites: Vec<TestSuite>,
}

impl Report {
    /// An empty document `name`.
    pub(crate) fn new(name: impl Into<String>) -> Report {
        Report {
            name: name.into(),
            time: None,
            suites: Vec::new(),
        }
    }

    /// A suite.
    pub(crate) fn add_test_suite(&mut self, suite: TestSuite) {
        self.suites.push(suite);
    }

    /// The `time` attribute.
    pub(crate) fn set_time(&mut self, time: Duration) {
        self.time = Some(time);
    }
}

mod write;
