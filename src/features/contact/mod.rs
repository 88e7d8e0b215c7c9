//! The contact page: the `[contact]` section of `site.toml` read as written, validated into
//! `ContactSettings`, and turned into what `templates/contact.html` needs (`site.contact`): the
//! form's backend as plain attributes and field names, the firm's details, the e-mail address
//! obfuscated, and the schema.org `Organization` JSON-LD.
//!
//! The template never looks at which backend is configured to decide an attribute: everything
//! backend-specific is data made here, so that changing the backend changes no template.

use std::collections::HashSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use toml::Spanned;

use crate::config::{Settings, SettingsFile, is_placeholder_domain, web_url};
use crate::deploy::Allowance;
use crate::diagnostics::{Diagnostic, Diagnostics, closest};
use crate::feature::{BuiltInStatic, Feature, FeatureEntry, Slot};
use crate::site::Site;

mod firm;
pub use firm::{Identity, SocialLink};

/// The contact page, as `build` lists it.
pub const FEATURE: FeatureEntry = FeatureEntry {
    section: "contact",
    templates: &[
        ("contact.html", include_str!("templates/contact.html")),
        (
            "contact-thanks.html",
            include_str!("templates/contact-thanks.html"),
        ),
        (
            "partials/contact-form.html",
            include_str!("templates/partials/contact-form.html"),
        ),
        (
            "partials/contact-details.html",
            include_str!("templates/partials/contact-details.html"),
        ),
        (
            "partials/contact-footer.html",
            include_str!("templates/partials/contact-footer.html"),
        ),
        (
            "partials/contact-head.html",
            include_str!("templates/partials/contact-head.html"),
        ),
    ],
    slots: &[
        (Slot::Head, "partials/contact-head.html"),
        (Slot::Footer, "partials/contact-footer.html"),
    ],
    functions: &[],
    configure,
};

/// The form's script and styles, which `contact.html` links.
const STATIC: &[BuiltInStatic] = &[
    ("contact.js", include_bytes!("static/contact.js")),
    ("contact.css", include_bytes!("static/contact.css")),
];

fn configure(settings: &Settings, problems: &mut Diagnostics) -> Box<dyn Feature> {
    let file = &settings.file;
    let contact = match file.section::<RawContact>(FEATURE.section) {
        Ok(raw) => raw.and_then(|raw| validate(raw.into_inner(), file, problems)),
        Err(problem) => {
            problems.push(*problem);
            None
        }
    };
    Box::new(Contact { settings: contact })
}

/// The contact page of one site: its settings, when `site.toml` has `[contact]`.
pub struct Contact {
    settings: Option<ContactSettings>,
}

impl Feature for Contact {
    /// Always, as before `[contact]` could be left out: a site's own template may use them.
    fn static_files(&self) -> Vec<BuiltInStatic> {
        STATIC.to_vec()
    }

    fn csp_allowances(&self) -> Vec<Allowance> {
        csp_allowances(self.settings.as_ref())
    }

    fn check_site(&self, site: &Site) -> Vec<Diagnostic> {
        missing_thanks_page(self.settings.as_ref(), site)
            .into_iter()
            .collect()
    }

    fn unlisted_templates(&self) -> &'static [&'static str] {
        &[THANKS_TEMPLATE]
    }

    fn template_value(&self, site: &Site) -> tera::Value {
        let context = self
            .settings
            .as_ref()
            .map(|contact| ContactContext::new(&site.settings, contact));
        tera::Value::from_serializable(&context)
    }
}

/// The thank-you page the POST backends send visitors to, below the base path.
pub const THANKS_PATH: &str = "contact/thanks/";

/// The template of the thank-you page. Its pages say `noindex`, so the sitemap leaves them out.
pub const THANKS_TEMPLATE: &str = "contact-thanks.html";

/// The `name` of the form element, and Netlify's form name.
const FORM_NAME: &str = "contact";

const BACKENDS: [&str; 4] = ["mailto", "formspree", "netlify", "custom"];

/// `[contact]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContact {
    email: Option<Spanned<String>>,
    phone: Option<Spanned<String>>,
    address: Option<Spanned<RawAddress>>,
    #[serde(default)]
    hours: Vec<Spanned<String>>,
    backend: Option<Spanned<String>>,
    formspree_id: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    redirect_field: Option<Spanned<String>>,
    fields: Option<Spanned<RawFieldNames>>,
    #[serde(default)]
    subjects: Vec<Spanned<String>>,
    consent: Option<Spanned<String>>,
    legal_name: Option<Spanned<String>>,
    company_number: Option<Spanned<String>>,
    #[serde(default)]
    social: Vec<firm::RawSocialLink>,
    schema_type: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    #[serde(default)]
    street: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
}

/// `[contact.fields]`: the names a `custom` endpoint expects, each defaulting to ours.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldNames {
    name: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    phone: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    message: Option<Spanned<String>>,
    consent: Option<Spanned<String>>,
    honeypot: Option<Spanned<String>>,
}

/// The validated `[contact]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSettings {
    pub email: Option<EmailAddress>,
    pub phone: Option<Phone>,
    pub address: Option<PostalAddress>,
    pub hours: Vec<OpeningHours>,
    pub backend: Backend,
    /// The subjects a visitor picks from; none means the form has no subject field.
    pub subjects: Vec<String>,
    /// The label of the consent box; none means the form has no consent box.
    pub consent: Option<String>,
    /// Where the backend is chosen in site.toml, for problems found later.
    pub backend_span: Option<Range<usize>>,
    pub identity: Identity,
}

/// Where the form's submissions go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The form composes an e-mail to the firm's address in the visitor's e-mail program.
    Mailto,
    /// Formspree, by the id at the end of the form's endpoint `https://formspree.io/f/<id>`.
    Formspree { id: String },
    /// Netlify Forms: Netlify finds the form in the deployed HTML.
    Netlify,
    /// Any endpoint that accepts a POST of `application/x-www-form-urlencoded` fields.
    Custom {
        action: Box<url::Url>,
        fields: FieldNames,
        /// A hidden field carrying the thank-you page's URL, for endpoints that redirect to it.
        redirect_field: Option<String>,
    },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Mailto => "mailto",
            Backend::Formspree { .. } => "formspree",
            Backend::Netlify => "netlify",
            Backend::Custom { .. } => "custom",
        }
    }
}

/// The `name` of each form field, as the backend receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldNames {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub subject: String,
    pub message: String,
    pub consent: String,
    pub honeypot: String,
}

impl FieldNames {
    fn ours(honeypot: &str) -> FieldNames {
        FieldNames {
            name: "name".into(),
            email: "email".into(),
            phone: "phone".into(),
            subject: "subject".into(),
            message: "message".into(),
            consent: "consent".into(),
            honeypot: honeypot.into(),
        }
    }

    fn all(&self) -> [&str; 7] {
        [
            &self.name,
            &self.email,
            &self.phone,
            &self.subject,
            &self.message,
            &self.consent,
            &self.honeypot,
        ]
    }
}

/// The honeypot's name for the backends that let us choose it: a field bots like to fill.
const OUR_HONEYPOT: &str = "website";
/// Netlify's honeypot name, given to it with `data-netlify-honeypot`.
const NETLIFY_HONEYPOT: &str = "bot-field";
/// Formspree drops submissions that fill this field.
const FORMSPREE_HONEYPOT: &str = "_gotcha";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    pub user: String,
    pub domain: String,
}

impl EmailAddress {
    pub fn parse(address: &str) -> Result<EmailAddress, String> {
        let address = address.trim();
        let invalid = || format!("`{address}` is not an e-mail address");
        let (user, domain) = address.rsplit_once('@').ok_or_else(invalid)?;
        let user_is_valid = !user.is_empty()
            && !user.starts_with('.')
            && !user.ends_with('.')
            && !user.contains("..")
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_is_valid = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if user_is_valid && domain_is_valid {
            Ok(EmailAddress {
                user: user.to_string(),
                domain: domain.to_ascii_lowercase(),
            })
        } else {
            Err(invalid())
        }
    }

    pub fn address(&self) -> String {
        format!("{}@{}", self.user, self.domain)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// As written in site.toml, for people.
    pub display: String,
    /// `+` and digits only, for `tel:` links and JSON-LD.
    pub dial: String,
}

impl Phone {
    pub fn parse(number: &str) -> Result<Phone, String> {
        let number = number.trim();
        let digits = number.chars().filter(char::is_ascii_digit).count();
        let chars_are_valid = number
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " ()-./".contains(c) || (c == '+' && i == 0));
        if !chars_are_valid || !(5..=15).contains(&digits) {
            return Err(format!("`{number}` is not a phone number"));
        }
        let plus = if number.starts_with('+') { "+" } else { "" };
        Ok(Phone {
            display: number.to_string(),
            dial: format!(
                "{plus}{}",
                number
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            ),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostalAddress {
    pub street: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl PostalAddress {
    /// The lines to show, in order, without empty ones; `street` may hold several lines.
    pub fn lines(&self) -> Vec<String> {
        self.street
            .lines()
            .chain([
                self.locality.as_str(),
                self.region.as_str(),
                self.postal_code.as_str(),
                self.country.as_str(),
            ])
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect()
    }
}

const DAYS: [(&str, &str); 7] = [
    ("Mo", "Monday"),
    ("Tu", "Tuesday"),
    ("We", "Wednesday"),
    ("Th", "Thursday"),
    ("Fr", "Friday"),
    ("Sa", "Saturday"),
    ("Su", "Sunday"),
];

/// One line of opening hours, written `Mo-Fr 09:00-17:30` (the schema.org `openingHours`
/// notation): days as two-letter abbreviations, single or as ranges, separated by commas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// Runs of days as indices into `DAYS`, each from first to last (inclusive).
    pub days: Vec<(usize, usize)>,
    pub opens: String,
    pub closes: String,
}

impl OpeningHours {
    pub fn parse(text: &str) -> Result<OpeningHours, String> {
        let text = text.trim();
        let invalid = || format!("`{text}` is not a line of opening hours");
        let (days_text, times) = text.split_once(' ').ok_or_else(invalid)?;
        let day = |abbreviation: &str| {
            DAYS.iter()
                .position(|(short, _)| short.eq_ignore_ascii_case(abbreviation.trim()))
        };
        let mut days = Vec::new();
        for run in days_text.split(',') {
            let (first, last) = run.split_once('-').unwrap_or((run, run));
            match (day(first), day(last)) {
                (Some(first), Some(last)) if first <= last => days.push((first, last)),
                _ => return Err(invalid()),
            }
        }
        let (opens, closes) = times.trim().split_once('-').ok_or_else(invalid)?;
        let (opens, closes) = (clock_time(opens), clock_time(closes));
        match (opens, closes) {
            (Some(opens), Some(closes)) if opens < closes => Ok(OpeningHours {
                days,
                opens,
                closes,
            }),
            _ => Err(invalid()),
        }
    }

    /// For people: `Monday to Friday, 09:00 to 17:30`.
    pub fn display(&self) -> String {
        let runs: Vec<String> = self
            .days
            .iter()
            .map(|&(first, last)| match last - first {
                0 => DAYS[first].1.to_string(),
                1 => format!("{} and {}", DAYS[first].1, DAYS[last].1),
                _ => format!("{} to {}", DAYS[first].1, DAYS[last].1),
            })
            .collect();
        let days = match runs.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => runs.concat(),
        };
        format!("{days}, {} to {}", self.opens, self.closes)
    }

    /// The days as schema.org `DayOfWeek` URLs.
    fn schema_days(&self) -> Vec<String> {
        self.days
            .iter()
            .flat_map(|&(first, last)| first..=last)
            .map(|day| format!("https://schema.org/{}", DAYS[day].1))
            .collect()
    }
}

/// `9:00` or `09:00` → `09:00`; up to `24:00`.
fn clock_time(text: &str) -> Option<String> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(hours) || hours.len() > 2 || minutes.len() != 2 || !all_digits(minutes) {
        return None;
    }
    let (h, m): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then(|| format!("{h:02}:{m:02}"))
}

/// Validates `[contact]`, pushing every problem found, each located in `site.toml`.
/// Returns none when there is an error.
pub fn validate(
    raw: RawContact,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<ContactSettings> {
    let errors_before = problems.error_count();

    let email = raw.email.as_ref().and_then(|email| {
        match EmailAddress::parse(email.get_ref()) {
            Ok(address) => {
                if is_placeholder_domain(&address.domain) {
                    problems.push(
                        Diagnostic::warning(
                            &file.path,
                            format!("the contact e-mail `{}` is a placeholder", address.address()),
                        )
                        .with_help("replace it with the firm's real address before publishing: messages written to it are lost")
                        .at(&file.text, email.span()),
                    );
                }
                Some(address)
            }
            Err(message) => {
                problems.push(
                    file.error_at(email.span(), message)
                        .with_help("write the firm's address, such as email = \"hello@aimtowin.com\""),
                );
                None
            }
        }
    });

    let phone = raw
        .phone
        .as_ref()
        .and_then(|phone| match Phone::parse(phone.get_ref()) {
            Ok(phone) => Some(phone),
            Err(message) => {
                problems.push(file.error_at(phone.span(), message).with_help(
                    "write digits, spaces and an optional leading +, such as phone = \"+44 20 7946 0000\"",
                ));
                None
            }
        });

    let address = raw.address.as_ref().and_then(|address| {
        let span = address.span();
        let address = address.get_ref();
        let address = PostalAddress {
            street: address.street.trim().to_string(),
            locality: address.locality.trim().to_string(),
            region: address.region.trim().to_string(),
            postal_code: address.postal_code.trim().to_string(),
            country: address.country.trim().to_string(),
        };
        if address.lines().is_empty() {
            problems.push(file.error_at(span, "the postal address is empty").with_help(
                "give at least one of street, locality, region, postal_code and country, or remove [contact.address]",
            ));
            return None;
        }
        Some(address)
    });

    let hours = raw
        .hours
        .iter()
        .filter_map(|line| match OpeningHours::parse(line.get_ref()) {
            Ok(hours) => Some(hours),
            Err(message) => {
                problems.push(file.error_at(line.span(), message).with_help(
                    "write days and times like \"Mo-Fr 09:00-17:30\" or \"Sa 10:00-13:00\" (days: Mo Tu We Th Fr Sa Su)",
                ));
                None
            }
        })
        .collect();

    let subjects = texts(&raw.subjects, "subject", file, problems);
    let consent = raw.consent.as_ref().and_then(|consent| {
        let text = consent.get_ref().trim();
        if text.is_empty() {
            problems.push(file.error_at(consent.span(), "the consent text is empty").with_help(
                "write what the visitor agrees to, or remove `consent` to leave the box out",
            ));
            return None;
        }
        Some(text.to_string())
    });

    let backend = backend(&raw, email.is_some(), file, problems);
    let identity = firm::validate(
        &firm::RawIdentity {
            legal_name: raw.legal_name.as_ref(),
            company_number: raw.company_number.as_ref(),
            social: &raw.social,
            schema_type: raw.schema_type.as_ref(),
        },
        file,
        problems,
    );

    if problems.error_count() > errors_before {
        return None;
    }
    Some(ContactSettings {
        email,
        phone,
        address,
        hours,
        backend: backend?,
        subjects,
        consent,
        backend_span: raw.backend.as_ref().map(Spanned::span),
        identity,
    })
}

/// The span of the `[contact]` line, for problems of the section as a whole.
fn section_header(text: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("[contact]") {
            let start = offset + (line.len() - trimmed.len());
            return Some(start..start + "[contact]".len());
        }
        offset += line.len();
    }
    None
}

/// Trimmed, non-empty, distinct texts, such as the subjects.
fn texts(
    values: &[Spanned<String>],
    what: &str,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut texts = Vec::new();
    for value in values {
        let text = value.get_ref().trim();
        if text.is_empty() {
            problems.push(
                file.error_at(value.span(), format!("a {what} is empty"))
                    .with_help(format!("write the {what} or remove it from the list")),
            );
        } else if !seen.insert(text.to_lowercase()) {
            problems.push(
                file.error_at(value.span(), format!("the {what} `{text}` is given twice"))
                    .with_help("remove one of them"),
            );
        } else {
            texts.push(text.to_string());
        }
    }
    texts
}

fn backend(
    raw: &RawContact,
    has_email: bool,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<Backend> {
    let name = raw
        .backend
        .as_ref()
        .map_or("mailto", |name| name.get_ref().trim());
    // Where a problem of the backend as a whole is shown: its line, else the first key.
    let backend_span = raw.backend.as_ref().map(Spanned::span).or_else(|| {
        [&raw.email, &raw.phone, &raw.consent]
            .into_iter()
            .flatten()
            .map(Spanned::span)
            .next()
            .or_else(|| section_header(&file.text))
    });
    let error_at_backend = |message: String| match &backend_span {
        Some(span) => file.error_at(span.clone(), message),
        None => Diagnostic::error(&file.path, message),
    };

    if !BACKENDS.contains(&name) {
        let help = match closest(name, BACKENDS) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "use one of `mailto`, `formspree`, `netlify` and `custom`".to_string(),
        };
        problems
            .push(error_at_backend(format!("unknown contact backend `{name}`")).with_help(help));
        return None;
    }

    // Keys of one backend given with another are most likely a forgotten `backend = ...`.
    let only_for = |key: &str, span: Option<Range<usize>>, owner: &str| {
        span.filter(|_| name != owner).map(|span| {
            file.error_at(
                span,
                format!("`{key}` is only used by the {owner} backend, but the backend is {name}"),
            )
            .with_help(format!(
                "set backend = \"{owner}\" in [contact], or remove `{key}`"
            ))
        })
    };
    let misplaced = [
        only_for(
            "formspree_id",
            raw.formspree_id.as_ref().map(Spanned::span),
            "formspree",
        ),
        only_for("action", raw.action.as_ref().map(Spanned::span), "custom"),
        only_for(
            "redirect_field",
            raw.redirect_field.as_ref().map(Spanned::span),
            "custom",
        ),
        only_for("fields", raw.fields.as_ref().map(Spanned::span), "custom"),
    ];
    let mut misplaced_keys = false;
    for problem in misplaced.into_iter().flatten() {
        problems.push(problem);
        misplaced_keys = true;
    }

    let backend = match name {
        "mailto" => {
            if !has_email && raw.email.is_none() {
                problems.push(
                    error_at_backend("the mailto contact backend needs the firm's `email`".into())
                        .with_help("add email = \"hello@aimtowin.com\" to [contact], or choose another backend"),
                );
                return None;
            }
            Backend::Mailto
        }
        "formspree" => {
            let Some(id) = &raw.formspree_id else {
                problems.push(
                    error_at_backend("the formspree contact backend needs `formspree_id`".into())
                        .with_help("add formspree_id = \"xyzabcde\": the id at the end of your form's endpoint, https://formspree.io/f/xyzabcde"),
                );
                return None;
            };
            let value = id.get_ref().trim();
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
                let from_url = value
                    .rsplit('/')
                    .find(|part| !part.is_empty())
                    .filter(|part| part.chars().all(|c| c.is_ascii_alphanumeric()));
                let help = match from_url {
                    Some(id) if value.contains('/') => {
                        format!("give only the id at the end of the endpoint: formspree_id = \"{id}\"")
                    }
                    _ => "give the id at the end of your form's endpoint https://formspree.io/f/<id>: letters and digits".into(),
                };
                problems.push(
                    file.error_at(id.span(), format!("`{value}` is not a Formspree form id"))
                        .with_help(help),
                );
                return None;
            }
            Backend::Formspree {
                id: value.to_string(),
            }
        }
        "netlify" => Backend::Netlify,
        _ => {
            let Some(action) = &raw.action else {
                problems.push(
                    error_at_backend(
                        "the custom contact backend needs the `action` URL the form posts to"
                            .into(),
                    )
                    .with_help("add action = \"https://forms.aimtowin.com/contact\" to [contact]"),
                );
                return None;
            };
            let url = match web_url(action.get_ref()) {
                Ok(url) => url,
                Err(message) => {
                    problems.push(file.error_at(action.span(), message).with_help(
                        "give the absolute URL the form posts to, such as \"https://forms.aimtowin.com/contact\"",
                    ));
                    return None;
                }
            };
            if let Some(host) = url.host_str() {
                if is_placeholder_domain(host) {
                    problems.push(
                        Diagnostic::warning(
                            &file.path,
                            format!("the contact form's action `{url}` is a placeholder"),
                        )
                        .with_help("replace it with your form endpoint before publishing")
                        .at(&file.text, action.span()),
                    );
                } else if url.scheme() == "http" && !is_loopback(host) {
                    problems.push(
                        Diagnostic::warning(
                            &file.path,
                            format!("the contact form posts to `{url}` without encryption"),
                        )
                        .with_help(
                            "use an https:// URL: the form carries visitors' personal details",
                        )
                        .at(&file.text, action.span()),
                    );
                }
            }
            let fields = custom_field_names(raw.fields.as_ref(), file, problems)?;
            let redirect_field = match &raw.redirect_field {
                None => None,
                Some(field) => {
                    let value = field.get_ref().trim();
                    if let Err(message) = check_field_name(value) {
                        problems.push(file.error_at(field.span(), message).with_help(
                            "give the name of the field your endpoint redirects to, such as \"_next\"",
                        ));
                        return None;
                    }
                    if fields.all().contains(&value) {
                        problems.push(
                            file.error_at(
                                field.span(),
                                format!("`{value}` is already the name of a form field"),
                            )
                            .with_help("give the redirect field a name of its own"),
                        );
                        return None;
                    }
                    Some(value.to_string())
                }
            };
            Backend::Custom {
                action: Box::new(url),
                fields,
                redirect_field,
            }
        }
    };
    (!misplaced_keys).then_some(backend)
}

fn custom_field_names(
    raw: Option<&Spanned<RawFieldNames>>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<FieldNames> {
    let mut names = FieldNames::ours(OUR_HONEYPOT);
    let Some(raw) = raw else {
        return Some(names);
    };
    let raw = raw.get_ref();
    let given = [
        (&raw.name, &mut names.name),
        (&raw.email, &mut names.email),
        (&raw.phone, &mut names.phone),
        (&raw.subject, &mut names.subject),
        (&raw.message, &mut names.message),
        (&raw.consent, &mut names.consent),
        (&raw.honeypot, &mut names.honeypot),
    ];
    let mut ok = true;
    let mut spans = Vec::new();
    for (value, name) in given {
        let Some(value) = value else { continue };
        let text = value.get_ref().trim();
        match check_field_name(text) {
            Ok(()) => {
                *name = text.to_string();
                spans.push((text.to_string(), value.span()));
            }
            Err(message) => {
                problems.push(
                    file.error_at(value.span(), message).with_help(
                        "give the field name your endpoint expects, such as \"full_name\"",
                    ),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let all = names.all();
    for (text, span) in spans {
        if all.iter().filter(|name| **name == text).count() > 1 {
            problems.push(
                file.error_at(span, format!("two form fields would be named `{text}`"))
                    .with_help("give each field a name of its own"),
            );
            ok = false;
        }
    }
    ok.then_some(names)
}

fn check_field_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a field name is empty".into());
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the field name `{name}` has spaces in it"));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "[::1]"
}

/// A backend that posts sends visitors to the thank-you page: without one they would land on
/// the 404 page after writing to the firm. An error located at the backend in site.toml.
fn missing_thanks_page(contact: Option<&ContactSettings>, site: &Site) -> Option<Diagnostic> {
    let settings = &site.settings;
    let contact = contact?;
    if contact.backend == Backend::Mailto || site.pages.iter().any(|page| page.path == THANKS_PATH)
    {
        return None;
    }
    let message = format!(
        "the {} contact backend sends visitors to /{THANKS_PATH}, but there is no page there",
        contact.backend.name()
    );
    let problem = match &contact.backend_span {
        Some(span) => settings.file.error_at(span.clone(), message),
        None => Diagnostic::error(&settings.file.path, message),
    };
    Some(problem.with_help(
        "add content/contact/thanks.md with template = \"contact-thanks.html\" (see docs/contact.md)",
    ))
}

/// The sources the Content-Security-Policy must allow for the form, as (directive, source)
/// pairs: `form-action` for a backend that posts to another site; nothing otherwise.
pub fn csp_allowances(contact: Option<&ContactSettings>) -> Vec<(String, String)> {
    let origin = match contact.map(|contact| &contact.backend) {
        Some(Backend::Formspree { .. }) => Some("https://formspree.io".to_string()),
        Some(Backend::Custom { action, .. }) => Some(action.origin().ascii_serialization()),
        _ => None,
    };
    origin
        .map(|origin| vec![("form-action".to_string(), origin)])
        .unwrap_or_default()
}

/// `site.contact`: what templates need to show the contact page.
#[derive(Debug, Serialize)]
pub struct ContactContext {
    /// `mailto`, `formspree`, `netlify` or `custom`.
    pub backend: &'static str,
    pub email: Option<EmailContext>,
    pub phone: Option<PhoneContext>,
    pub address: Option<AddressContext>,
    pub hours: Vec<HoursContext>,
    pub subjects: Vec<String>,
    pub consent: Option<String>,
    pub form: FormContext,
    /// The URL of the thank-you page, with the base path.
    pub thanks_url: String,
    /// The schema.org `Organization` with its `ContactPoint`, as JSON safe to print inside
    /// `<script type="application/ld+json">` with `| safe`.
    pub json_ld: String,
    /// The firm's name as the footer gives it: `legal_name`, else the site's title.
    pub name: String,
    pub company_number: Option<String>,
    pub social: Vec<SocialLink>,
}

/// The firm's address, never in plain text: reversed halves for the script to assemble, and
/// HTML character references for `<noscript>`.
#[derive(Debug, Serialize)]
pub struct EmailContext {
    pub user_reversed: String,
    pub domain_reversed: String,
    /// `mailto:` and the address as character references, for `href` (print with `| safe`).
    pub href_encoded: String,
    /// The address as character references, for the link's text (print with `| safe`).
    pub text_encoded: String,
}

#[derive(Debug, Serialize)]
pub struct PhoneContext {
    pub display: String,
    /// `tel:+442079460000`.
    pub href: String,
}

#[derive(Debug, Serialize)]
pub struct AddressContext {
    pub street: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HoursContext {
    /// `Monday to Friday, 09:00 to 17:30`.
    pub display: String,
    /// `Mo-Fr 09:00-17:30`, for `<time datetime>`-like machine use.
    pub machine: String,
}

/// The form element: everything that differs between backends.
#[derive(Debug, Serialize)]
pub struct FormContext {
    /// The form's `name`.
    pub name: &'static str,
    /// The `action` URL; empty for mailto, whose form is shown by the script only.
    pub action: String,
    pub method: &'static str,
    /// True when the form works only with JavaScript (mailto): the template hides it until the
    /// script shows it, and offers a plain `mailto:` link in `<noscript>`.
    pub needs_javascript: bool,
    /// Extra attributes of the `<form>` element, such as Netlify's, as `{name, value}`.
    pub attributes: Vec<Attribute>,
    /// Hidden inputs, as `{name, value}`.
    pub hidden: Vec<Attribute>,
    /// The `name` of each field.
    pub fields: FieldNames,
    /// The third party the form posts to, or none (mailto, or a same-site endpoint).
    pub third_party: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

fn attribute(name: &str, value: impl Into<String>) -> Attribute {
    Attribute {
        name: name.to_string(),
        value: value.into(),
    }
}

impl ContactContext {
    pub fn new(settings: &Settings, contact: &ContactSettings) -> ContactContext {
        let base = &settings.base_url;
        let thanks_url = format!("{}{THANKS_PATH}", base.path);
        let thanks_permalink = base.join(THANKS_PATH);
        let email = contact.email.as_ref().map(|email| EmailContext {
            user_reversed: email.user.chars().rev().collect(),
            domain_reversed: email.domain.chars().rev().collect(),
            href_encoded: character_references(&format!("mailto:{}", email.address())),
            text_encoded: character_references(&email.address()),
        });
        let form = form_context(contact, &thanks_url, &thanks_permalink, &settings.title);
        ContactContext {
            backend: contact.backend.name(),
            email,
            phone: contact.phone.as_ref().map(|phone| PhoneContext {
                display: phone.display.clone(),
                href: format!("tel:{}", phone.dial),
            }),
            address: contact.address.as_ref().map(|address| AddressContext {
                street: address.street.clone(),
                locality: address.locality.clone(),
                region: address.region.clone(),
                postal_code: address.postal_code.clone(),
                country: address.country.clone(),
                lines: address.lines(),
            }),
            hours: contact
                .hours
                .iter()
                .map(|hours| HoursContext {
                    display: hours.display(),
                    machine: machine_hours(hours),
                })
                .collect(),
            subjects: contact.subjects.clone(),
            consent: contact.consent.clone(),
            form,
            thanks_url,
            json_ld: json_ld(settings, contact),
            name: contact
                .identity
                .legal_name
                .clone()
                .unwrap_or_else(|| settings.title.clone()),
            company_number: contact.identity.company_number.clone(),
            social: contact.identity.social.clone(),
        }
    }
}

fn form_context(
    contact: &ContactSettings,
    thanks_url: &str,
    thanks_permalink: &str,
    site_title: &str,
) -> FormContext {
    let mut form = FormContext {
        name: FORM_NAME,
        action: String::new(),
        method: "post",
        needs_javascript: false,
        attributes: vec![
            attribute("data-backend", contact.backend.name()),
            attribute("data-thanks-url", thanks_url),
        ],
        hidden: Vec::new(),
        fields: FieldNames::ours(OUR_HONEYPOT),
        third_party: None,
    };
    match &contact.backend {
        Backend::Mailto => {
            form.needs_javascript = true;
            if let Some(email) = &contact.email {
                form.attributes.push(attribute(
                    "data-email-user",
                    email.user.chars().rev().collect::<String>(),
                ));
                form.attributes.push(attribute(
                    "data-email-domain",
                    email.domain.chars().rev().collect::<String>(),
                ));
            }
        }
        Backend::Formspree { id } => {
            form.action = format!("https://formspree.io/f/{id}");
            form.third_party = Some("Formspree".into());
            form.fields = FieldNames::ours(FORMSPREE_HONEYPOT);
            form.hidden.push(attribute(
                "_subject",
                format!("Enquiry from the {site_title} website"),
            ));
            form.hidden.push(attribute("_next", thanks_permalink));
        }
        Backend::Netlify => {
            form.action = thanks_url.to_string();
            form.fields = FieldNames::ours(NETLIFY_HONEYPOT);
            form.attributes.push(attribute("data-netlify", "true"));
            form.attributes
                .push(attribute("data-netlify-honeypot", NETLIFY_HONEYPOT));
            form.hidden.push(attribute("form-name", FORM_NAME));
        }
        Backend::Custom {
            action,
            fields,
            redirect_field,
        } => {
            form.action = action.to_string();
            form.fields = fields.clone();
            form.third_party = action.host_str().map(str::to_string);
            if let Some(field) = redirect_field {
                form.hidden.push(attribute(field, thanks_permalink));
            }
        }
    }
    form
}

fn machine_hours(hours: &OpeningHours) -> String {
    let days: Vec<String> = hours
        .days
        .iter()
        .map(|&(first, last)| {
            if first == last {
                DAYS[first].0.to_string()
            } else {
                format!("{}-{}", DAYS[first].0, DAYS[last].0)
            }
        })
        .collect();
    format!("{} {}-{}", days.join(","), hours.opens, hours.closes)
}

/// Every character as a decimal HTML character reference: `h` → `&#104;`.
fn character_references(text: &str) -> String {
    text.chars().map(|c| format!("&#{};", c as u32)).collect()
}

/// The schema.org `Organization` with its address and a `ContactPoint`, fields in the order
/// they always had. The e-mail address is written entirely as `\u` escapes, to keep it from
/// address harvesters.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OrganizationData<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    /// One id for the firm on every page that describes it, so that readers merge them.
    #[serde(rename = "@id")]
    id: String,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_name: Option<&'a str>,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<AddressData>,
    contact_point: ContactPointData<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    same_as: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<CompanyNumberData<'a>>,
}

/// The company number, as schema.org has no property of its own for it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyNumberData<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "propertyID")]
    property_id: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContactPointData<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    contact_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephone: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hours_available: Vec<HoursData<'a>>,
    available_language: &'a str,
}

/// The parts of a `PostalAddress` that are given, each on one line.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AddressData {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_country: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HoursData<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    day_of_week: Vec<String>,
    opens: &'a str,
    closes: &'a str,
}

/// A JSON string written entirely as `\u` escapes.
fn hidden(text: &str) -> Option<Box<RawValue>> {
    let escaped: String = text
        .encode_utf16()
        .map(|unit| format!("\\u{unit:04x}"))
        .collect();
    RawValue::from_string(format!("\"{escaped}\"")).ok()
}

/// The schema.org `Organization` with its address and a `ContactPoint`, as JSON safe to print
/// inside `<script>`.
fn json_ld(settings: &Settings, contact: &ContactSettings) -> String {
    let identity = &contact.identity;
    let email = contact.email.as_ref().map(EmailAddress::address);
    let telephone = contact.phone.as_ref().map(|phone| phone.dial.as_str());
    let one_line =
        |value: &str| (!value.is_empty()).then(|| value.lines().collect::<Vec<_>>().join(", "));
    let address = contact.address.as_ref().map(|address| AddressData {
        kind: "PostalAddress",
        street_address: one_line(&address.street),
        address_locality: one_line(&address.locality),
        address_region: one_line(&address.region),
        postal_code: one_line(&address.postal_code),
        address_country: one_line(&address.country),
    });
    let hours_available = contact
        .hours
        .iter()
        .map(|hours| HoursData {
            kind: "OpeningHoursSpecification",
            day_of_week: hours.schema_days(),
            opens: &hours.opens,
            closes: &hours.closes,
        })
        .collect();
    let organization = OrganizationData {
        context: "https://schema.org",
        kind: identity.schema_type,
        id: crate::templates::organization_id(settings),
        name: &settings.title,
        legal_name: identity.legal_name.as_deref(),
        url: settings.base_url.absolute(),
        description: Some(settings.description.as_str()).filter(|text| !text.is_empty()),
        email: email.as_deref().and_then(hidden),
        telephone,
        address,
        contact_point: ContactPointData {
            kind: "ContactPoint",
            contact_type: "customer service",
            email: email.as_deref().and_then(hidden),
            telephone,
            hours_available,
            available_language: &settings.language,
        },
        same_as: identity
            .social
            .iter()
            .map(|link| link.url.as_str())
            .collect(),
        identifier: identity
            .company_number
            .as_deref()
            .map(|value| CompanyNumberData {
                kind: "PropertyValue",
                property_id: "Company number",
                value,
            }),
    };
    let json = serde_json::to_string(&organization).unwrap_or_default();
    crate::templates::script_safe_json(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The settings of a site with the given `[contact]` section, read by the feature.
    fn read(text: &str) -> Result<(Settings, Option<ContactSettings>, Diagnostics), Diagnostics> {
        let sections = [FEATURE.section];
        let (settings, mut problems) =
            crate::config::parse(text, PathBuf::from("site.toml"), None, &sections)?;
        let raw = settings
            .file
            .section::<RawContact>(FEATURE.section)
            .map_err(|problem| {
                let mut problems = Diagnostics::default();
                problems.push(*problem);
                problems
            })?;
        let contact = raw.and_then(|raw| validate(raw.into_inner(), &settings.file, &mut problems));
        if problems.has_errors() {
            return Err(problems);
        }
        Ok((settings, contact, problems))
    }

    fn parse(contact: &str) -> Result<(Settings, ContactSettings, Diagnostics), Diagnostics> {
        let text = format!(
            "title = \"Aim to Win\"\nbase_url = \"https://aimtowin.com/sub/\"\n\n[contact]\n{contact}"
        );
        read(&text).map(|(settings, contact, warnings)| {
            (settings, contact.expect("a [contact] section"), warnings)
        })
    }

    fn contact(text: &str) -> (ContactSettings, Diagnostics) {
        let (_, contact, warnings) = parse(text).unwrap_or_else(|problems| panic!("{problems}"));
        (contact, warnings)
    }

    /// The first problem: its message and line (the `[contact]` header is line 4).
    fn problem(text: &str) -> (String, usize) {
        let problems = parse(text).expect_err("settings with an error");
        let problem = problems.iter().find(|p| p.is_error()).unwrap();
        assert_eq!(problem.file, PathBuf::from("site.toml"));
        (
            problem.message.clone(),
            problem.location.map_or(0, |location| location.line),
        )
    }

    #[test]
    fn the_firms_identity_is_read_and_feeds_the_json_ld() {
        let (settings, contact, warnings) = parse(
            "email = \"hello@aimtowin.com\"\nlegal_name = \"Aim to Win Ltd\"\ncompany_number = \"09876543\"\nschema_type = \"ProfessionalService\"\n[[contact.social]]\nlabel = \"LinkedIn\"\nurl = \"https://www.linkedin.com/company/aimtowin\"\n",
        )
        .unwrap_or_else(|problems| panic!("{problems}"));
        assert!(warnings.is_empty(), "{warnings}");
        let identity = &contact.identity;
        assert_eq!(identity.legal_name.as_deref(), Some("Aim to Win Ltd"));
        assert_eq!(identity.company_number.as_deref(), Some("09876543"));
        assert_eq!(identity.social[0].label, "LinkedIn");
        let json: serde_json::Value =
            serde_json::from_str(&json_ld(&settings, &contact)).expect("JSON");
        assert_eq!(json["@type"], "ProfessionalService");
        assert_eq!(json["@id"], "https://aimtowin.com/sub/#organization");
        assert_eq!(json["legalName"], "Aim to Win Ltd");
        assert_eq!(
            json["sameAs"][0],
            "https://www.linkedin.com/company/aimtowin"
        );
        assert_eq!(json["identifier"]["value"], "09876543");
        let context = ContactContext::new(&settings, &contact);
        assert_eq!(context.name, "Aim to Win Ltd");
    }

    #[test]
    fn a_bad_identity_is_an_error_at_its_line() {
        let email = "email = \"a@b.com\"\n";
        let (message, line) = problem(&format!("{email}schema_type = \"ProfessionalServices\"\n"));
        assert!(
            message.contains("`ProfessionalServices` is not a schema.org type"),
            "{message}"
        );
        assert_eq!(line, 6);
        let (message, line) = problem(&format!("{email}company_number = \"no. 12 (E&W)\"\n"));
        assert_eq!(message, "`no. 12 (E&W)` is not a company number");
        assert_eq!(line, 6);
        let (message, line) = problem(&format!("{email}legal_name = \"  \"\n"));
        assert_eq!(message, "`legal_name` is empty");
        assert_eq!(line, 6);
        let (message, line) = problem(&format!(
            "{email}[[contact.social]]\nlabel = \"X\"\nurl = \"linkedin.com/aim\"\n"
        ));
        assert!(message.contains("is not an absolute URL"), "{message}");
        assert_eq!(line, 8);
    }

    #[test]
    fn placeholder_identity_values_are_warnings_on_their_lines() {
        let (contact, warnings) = contact(
            "email = \"a@b.com\"\ncompany_number = \"12345678\"\n[[contact.social]]\nlabel = \"X\"\nurl = \"https://example.com/aim\"\n",
        );
        let found: Vec<(bool, usize)> = warnings
            .iter()
            .map(|warning| (warning.is_error(), warning.location.map_or(0, |at| at.line)))
            .collect();
        assert_eq!(found, [(false, 6), (false, 9)]);
        assert_eq!(contact.identity.company_number.as_deref(), Some("12345678"));
    }

    #[test]
    fn mailto_is_the_default_backend() {
        let (contact, warnings) = contact("email = \"hello@aimtowin.com\"\n");
        assert_eq!(contact.backend, Backend::Mailto);
        assert!(warnings.is_empty());
        assert_eq!(contact.email.unwrap().address(), "hello@aimtowin.com");
    }

    #[test]
    fn no_contact_section_means_no_contact_settings() {
        let (_, contact, _) = read("title = \"A\"\nbase_url = \"https://a.com/\"\n").unwrap();
        assert!(contact.is_none());
    }

    #[test]
    fn placeholder_email_is_a_warning_on_its_line() {
        let (_, warnings) = contact("email = \"hello@example.com\"\n");
        let warning = warnings.iter().next().unwrap();
        assert!(!warning.is_error());
        assert!(
            warning.message.contains("placeholder"),
            "{}",
            warning.message
        );
        assert_eq!(warning.location.unwrap().line, 5);
    }

    #[test]
    fn invalid_email_is_an_error_on_its_line() {
        let (message, line) = problem("backend = \"netlify\"\nemail = \"hello at aimtowin\"\n");
        assert_eq!(message, "`hello at aimtowin` is not an e-mail address");
        assert_eq!(line, 6);
        for bad in [
            "a@b",
            "@a.com",
            "a@.com",
            "a b@c.com",
            "a@-b.com",
            "a..b@c.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(EmailAddress::parse("first.last+tag@Mail.Example.co.uk").is_ok());
    }

    #[test]
    fn mailto_without_email_is_an_error() {
        let (message, line) = problem("backend = \"mailto\"\n");
        assert!(message.contains("needs the firm's `email`"), "{message}");
        assert_eq!(line, 5);
        let (message, _) = problem("phone = \"020 7946 0000\"\n");
        assert!(message.contains("needs the firm's `email`"), "{message}");
        let (_, line) = problem("subjects = [\"Workshop\"]\n");
        assert_eq!(line, 4);
    }

    #[test]
    fn formspree_needs_an_id() {
        let (message, line) = problem("email = \"a@b.com\"\nbackend = \"formspree\"\n");
        assert_eq!(
            message,
            "the formspree contact backend needs `formspree_id`"
        );
        assert_eq!(line, 6);
        let problems =
            parse("backend = \"formspree\"\nformspree_id = \"https://formspree.io/f/xyzabcd\"\n")
                .unwrap_err();
        let problem = problems.iter().next().unwrap();
        assert_eq!(problem.location.unwrap().line, 6);
        assert_eq!(
            problem.help.as_deref(),
            Some("give only the id at the end of the endpoint: formspree_id = \"xyzabcd\"")
        );
        let (contact, _) = contact("backend = \"formspree\"\nformspree_id = \"xyzabcd\"\n");
        assert_eq!(
            contact.backend,
            Backend::Formspree {
                id: "xyzabcd".into()
            }
        );
    }

    #[test]
    fn custom_needs_a_url() {
        let (message, line) = problem("backend = \"custom\"\n");
        assert!(message.contains("needs the `action` URL"), "{message}");
        assert_eq!(line, 5);
        let (message, line) = problem("backend = \"custom\"\naction = \"/api/contact\"\n");
        assert_eq!(message, "`/api/contact` is not an absolute URL");
        assert_eq!(line, 6);
    }

    #[test]
    fn custom_maps_field_names() {
        let (contact, warnings) = contact(
            "backend = \"custom\"\naction = \"https://forms.aimtowin.com/c\"\nredirect_field = \"_next\"\n[contact.fields]\nname = \"full_name\"\nemail = \"_replyto\"\n",
        );
        assert!(warnings.is_empty());
        let Backend::Custom {
            action,
            fields,
            redirect_field,
        } = contact.backend
        else {
            panic!("not custom");
        };
        assert_eq!(action.as_str(), "https://forms.aimtowin.com/c");
        assert_eq!(fields.name, "full_name");
        assert_eq!(fields.email, "_replyto");
        assert_eq!(fields.message, "message");
        assert_eq!(fields.honeypot, OUR_HONEYPOT);
        assert_eq!(redirect_field.as_deref(), Some("_next"));
    }

    #[test]
    fn custom_field_names_must_differ() {
        let (message, line) = problem(
            "backend = \"custom\"\naction = \"https://f.aimtowin.com/\"\n[contact.fields]\nname = \"message\"\n",
        );
        assert_eq!(message, "two form fields would be named `message`");
        assert_eq!(line, 8);
    }

    #[test]
    fn unknown_field_mapping_suggests_the_closest() {
        let problems = parse(
            "backend = \"custom\"\naction = \"https://f.aimtowin.com/\"\n[contact.fields]\nemial = \"mail\"\n",
        )
        .unwrap_err();
        let problem = problems.iter().next().unwrap();
        assert_eq!(problem.message, "unknown key `emial`");
        assert_eq!(problem.help.as_deref(), Some("did you mean `email`?"));
        assert_eq!(problem.location.unwrap().line, 8);
    }

    #[test]
    fn unknown_backend_suggests_the_closest() {
        let problems = parse("email = \"a@b.com\"\nbackend = \"netlfy\"\n").unwrap_err();
        let problem = problems.iter().next().unwrap();
        assert_eq!(problem.message, "unknown contact backend `netlfy`");
        assert_eq!(problem.help.as_deref(), Some("did you mean `netlify`?"));
        assert_eq!(problem.location.unwrap().line, 6);
    }

    #[test]
    fn keys_of_another_backend_are_errors() {
        let (message, line) = problem("email = \"a@b.com\"\nformspree_id = \"abc\"\n");
        assert_eq!(
            message,
            "`formspree_id` is only used by the formspree backend, but the backend is mailto"
        );
        assert_eq!(line, 6);
    }

    #[test]
    fn unknown_contact_key_is_an_error() {
        let problems = parse("emali = \"a@b.com\"\n").unwrap_err();
        let problem = problems.iter().next().unwrap();
        assert_eq!(problem.help.as_deref(), Some("did you mean `email`?"));
        assert_eq!(problem.location.unwrap().line, 5);
    }

    #[test]
    fn phone_numbers() {
        let phone = Phone::parse("+44 (0)20 7946-0000").unwrap();
        assert_eq!(phone.dial, "+440207946000".to_string() + "0");
        assert!(Phone::parse("call us").is_err());
        assert!(Phone::parse("12+34567").is_err());
        let (_, line) = problem("email = \"a@b.com\"\nphone = \"ring ring\"\n");
        assert_eq!(line, 6);
    }

    #[test]
    fn opening_hours() {
        let hours = OpeningHours::parse("Mo-Fr 9:00-17:30").unwrap();
        assert_eq!(hours.display(), "Monday to Friday, 09:00 to 17:30");
        assert_eq!(machine_hours(&hours), "Mo-Fr 09:00-17:30");
        let hours = OpeningHours::parse("Mo,We,Sa-Su 10:00-12:00").unwrap();
        assert_eq!(
            hours.display(),
            "Monday, Wednesday and Saturday and Sunday, 10:00 to 12:00"
        );
        for bad in [
            "Mo-Fr",
            "Fr-Mo 09:00-17:00",
            "Mo 17:00-09:00",
            "Xx 09:00-10:00",
            "Mo 9-17",
        ] {
            assert!(OpeningHours::parse(bad).is_err(), "{bad}");
        }
        let (message, line) =
            problem("email = \"a@b.com\"\nhours = [\"Mo-Fr 09:00-17:30\", \"weekends\"]\n");
        assert_eq!(message, "`weekends` is not a line of opening hours");
        assert_eq!(line, 6);
    }

    #[test]
    fn subjects_must_be_distinct_and_not_empty() {
        let (contact, _) =
            contact("email = \"a@b.com\"\nsubjects = [\"Coaching\", \" Workshop \"]\n");
        assert_eq!(contact.subjects, ["Coaching", "Workshop"]);
        let (message, _) = problem("email = \"a@b.com\"\nsubjects = [\"A\", \"a\"]\n");
        assert_eq!(message, "the subject `a` is given twice");
        let (message, _) = problem("email = \"a@b.com\"\nsubjects = [\"\"]\n");
        assert_eq!(message, "a subject is empty");
    }

    #[test]
    fn empty_address_is_an_error() {
        let (message, line) = problem("email = \"a@b.com\"\n[contact.address]\ncountry = \"\"\n");
        assert_eq!(message, "the postal address is empty");
        assert!(line >= 6, "{line}");
    }

    fn context(contact: &str) -> ContactContext {
        let (settings, contact, _) = parse(contact).unwrap();
        ContactContext::new(&settings, &contact)
    }

    #[test]
    fn email_is_never_in_plain_text() {
        let context = context(
            "email = \"hello@aimtowin.com\"\nphone = \"+44 20 7946 0000\"\nhours = [\"Mo-Fr 09:00-17:30\"]\n[contact.address]\nstreet = \"1 High Street\"\nlocality = \"London\"\npostal_code = \"N1 1AA\"\ncountry = \"GB\"\n",
        );
        let email = context.email.as_ref().unwrap();
        assert_eq!(email.user_reversed, "olleh");
        assert_eq!(email.domain_reversed, "moc.niwotmia");
        assert!(email.href_encoded.starts_with("&#109;&#97;"));
        let serialized = format!("{context:?}");
        assert!(!serialized.contains("hello@aimtowin.com"));
        assert!(!context.json_ld.contains("aimtowin.com\""));
        assert!(context.json_ld.contains("\"telephone\":\"+442079460000\""));
        assert!(context.json_ld.contains("\"opens\":\"09:00\""));
        assert!(context.json_ld.contains("\"postalCode\":\"N1 1AA\""));
        assert!(
            context
                .json_ld
                .contains("\"url\":\"https://aimtowin.com/sub/\"")
        );
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let context = context("email = \"a@b.com\"\nsubjects = [\"</script><!--&\"]\n");
        assert!(!context.json_ld.contains('<'), "{}", context.json_ld);
        let (mut settings, contact, _) = parse("email = \"a@b.com\"\n").unwrap();
        settings.title = "</script><!--&".into();
        let json = json_ld(&settings, &contact);
        assert!(
            json.contains("\\u003c/script\\u003e\\u003c!--\\u0026"),
            "{json}"
        );
        assert_eq!(hidden("a@b").unwrap().get(), "\"\\u0061\\u0040\\u0062\"");
    }

    #[test]
    fn the_csp_allows_posting_to_the_backend_only() {
        let allowances = |text: &str| csp_allowances(Some(&contact(text).0));
        assert!(allowances("email = \"a@b.com\"\n").is_empty());
        assert!(allowances("backend = \"netlify\"\n").is_empty());
        assert_eq!(
            allowances("backend = \"formspree\"\nformspree_id = \"abc\"\n"),
            [(
                "form-action".to_string(),
                "https://formspree.io".to_string()
            )]
        );
        assert_eq!(
            allowances(
                "backend = \"custom\"\naction = \"https://Forms.aimtowin.com:8443/f/1?x=1\"\n"
            ),
            [(
                "form-action".to_string(),
                "https://forms.aimtowin.com:8443".to_string()
            )]
        );
        assert!(csp_allowances(None).is_empty());
    }

    #[test]
    fn forms_of_each_backend() {
        let netlify = context("backend = \"netlify\"\n").form;
        assert_eq!(netlify.action, "/sub/contact/thanks/");
        assert_eq!(netlify.fields.honeypot, "bot-field");
        assert!(netlify.third_party.is_none());
        assert!(
            netlify
                .hidden
                .iter()
                .any(|a| a.name == "form-name" && a.value == "contact")
        );
        let formspree = context("backend = \"formspree\"\nformspree_id = \"abc\"\n").form;
        assert_eq!(formspree.action, "https://formspree.io/f/abc");
        assert_eq!(formspree.fields.honeypot, "_gotcha");
        assert!(
            formspree
                .hidden
                .iter()
                .any(|a| a.name == "_next" && a.value == "https://aimtowin.com/sub/contact/thanks/")
        );
        let mailto = context("email = \"hello@aimtowin.com\"\n").form;
        assert!(mailto.needs_javascript);
        assert!(mailto.action.is_empty());
        assert!(mailto.third_party.is_none());
    }
}
