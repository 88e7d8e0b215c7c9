//! Who the firm is, beside how to reach it: its registered name, company number and social
//! profiles, and the schema.org type it is described as. They live in `[contact]` with the
//! e-mail, phone and address, so that the footer and the JSON-LD read one set of facts.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::config::{SettingsFile, is_placeholder_domain, web_url};
use crate::diagnostics::{Diagnostics, closest};

/// The schema.org types a firm may be described as: both are an `Organization`.
const SCHEMA_TYPES: [&str; 2] = ["Organization", "ProfessionalService"];

/// `[[contact.social]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSocialLink {
    label: Spanned<String>,
    url: Spanned<String>,
}

/// The identity keys of `[contact]` as written.
pub struct RawIdentity<'a> {
    pub legal_name: Option<&'a Spanned<String>>,
    pub company_number: Option<&'a Spanned<String>>,
    pub social: &'a [RawSocialLink],
    pub schema_type: Option<&'a Spanned<String>>,
}

/// The firm's identity, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The registered name, when it differs from the site's title (`Aim to Win Ltd`).
    pub legal_name: Option<String>,
    pub company_number: Option<String>,
    pub social: Vec<SocialLink>,
    /// `Organization` unless the firm chose `ProfessionalService`.
    pub schema_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocialLink {
    pub label: String,
    pub url: String,
}

/// Validates the identity keys, pushing each problem located in `site.toml`. Values with an
/// error are left out; the caller fails the section when the error count grew.
pub fn validate(raw: &RawIdentity, file: &SettingsFile, problems: &mut Diagnostics) -> Identity {
    let legal_name_example = "legal_name = \"Aim to Win Ltd\"";
    Identity {
        legal_name: raw
            .legal_name
            .and_then(|name| one_line(name, "legal_name", legal_name_example, file, problems)),
        company_number: raw
            .company_number
            .and_then(|number| company_number(number, file, problems)),
        social: raw
            .social
            .iter()
            .filter_map(|link| social_link(link, file, problems))
            .collect(),
        schema_type: schema_type(raw.schema_type, file, problems),
    }
}

/// A non-empty value on one line, trimmed.
fn one_line(
    value: &Spanned<String>,
    key: &str,
    example: &str,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<String> {
    let text = value.get_ref().trim();
    if text.is_empty() || text.contains('\n') {
        let what = if text.is_empty() {
            "is empty"
        } else {
            "spans more than one line"
        };
        problems.push(
            file.error_at(value.span(), format!("`{key}` {what}"))
                .with_help(format!(
                    "write it on one line, such as {example}, or remove `{key}`"
                )),
        );
        return None;
    }
    Some(text.to_string())
}

fn company_number(
    number: &Spanned<String>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<String> {
    let example = "company_number = \"09876543\"";
    let text = one_line(number, "company_number", example, file, problems)?;
    if !text.chars().any(|c| c.is_ascii_alphanumeric())
        || text
            .chars()
            .any(|c| !(c.is_alphanumeric() || " -/.".contains(c)))
    {
        problems.push(
            file.error_at(number.span(), format!("`{text}` is not a company number"))
                .with_help(format!("write the number as registered: letters, digits, spaces and `-`, such as {example}")),
        );
        return None;
    }
    if is_placeholder_number(&text) {
        problems.push(
            crate::diagnostics::Diagnostic::warning(
                &file.path,
                format!("the company number `{text}` is a placeholder"),
            )
            .with_help("replace it with the firm's registered number before publishing: it is printed in every page's footer")
            .at(&file.text, number.span()),
        );
    }
    Some(text)
}

/// A number of one repeated digit, or counting up from 0 or 1: what examples use.
fn is_placeholder_number(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    let Some(&first) = digits.first() else {
        return false;
    };
    let repeated = digits.iter().all(|&digit| digit == first);
    let counting = digits.len() > 3
        && first <= 1
        && digits.windows(2).all(|pair| pair[1] == (pair[0] + 1) % 10);
    repeated || counting
}

fn social_link(
    link: &RawSocialLink,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> Option<SocialLink> {
    let label = one_line(&link.label, "label", "label = \"LinkedIn\"", file, problems);
    let url = match web_url(link.url.get_ref()) {
        Ok(url) => Some(url),
        Err(message) => {
            problems.push(file.error_at(link.url.span(), message).with_help(
                "write the profile's full address, such as url = \"https://www.linkedin.com/company/aimtowin\"",
            ));
            None
        }
    }?;
    if url.host_str().is_some_and(is_placeholder_domain) {
        problems.push(
            crate::diagnostics::Diagnostic::warning(
                &file.path,
                format!("the social link `{url}` is a placeholder"),
            )
            .with_help("replace it with the firm's profile before publishing, or remove the link")
            .at(&file.text, link.url.span()),
        );
    }
    Some(SocialLink {
        label: label?,
        url: url.to_string(),
    })
}

fn schema_type(
    value: Option<&Spanned<String>>,
    file: &SettingsFile,
    problems: &mut Diagnostics,
) -> &'static str {
    let Some(value) = value else {
        return SCHEMA_TYPES[0];
    };
    let written = value.get_ref().trim();
    if let Some(known) = SCHEMA_TYPES.iter().find(|known| **known == written) {
        return known;
    }
    let help = match closest(written, SCHEMA_TYPES.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "write \"Organization\" or \"ProfessionalService\"".into(),
    };
    problems.push(
        file.error_at(
            value.span(),
            format!("`{written}` is not a schema.org type aimsite describes a firm as"),
        )
        .with_help(help),
    );
    SCHEMA_TYPES[0]
}

#[cfg(test)]
mod tests {
    use super::is_placeholder_number;

    #[test]
    fn example_numbers_are_placeholders() {
        for placeholder in ["00000000", "12345678", "0123 4567", "SC000000", "SC123456"] {
            assert!(is_placeholder_number(placeholder), "{placeholder}");
        }
        for real in ["09876543", "SC301234", "OC301234", "12"] {
            assert!(!is_placeholder_number(real), "{real}");
        }
    }
}
