//! The kinds of content a section holds beyond articles and plain pages: people, testimonials
//! and events, each with front matter keys of its own, checked here and given to templates and
//! schema.org data as `Details`.

use jiff::ZonedDateTime;
use jiff::civil::{self, Date};
use jiff::tz::TimeZone;
use toml::Spanned;

use crate::content::{EventStatus, SectionKind, SourcePage};
use crate::diagnostics::Diagnostic;

/// What a page of a section of people, testimonials or events says besides its title.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Details {
    #[default]
    None,
    Person {
        role: Option<String>,
        photo: Option<String>,
    },
    Testimonial {
        role: Option<String>,
        company: Option<String>,
        photo: Option<String>,
    },
    Event(Event),
}

/// An event, its times in its own time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub start: ZonedDateTime,
    pub end: Option<ZonedDateTime>,
    pub location: Option<String>,
    /// Online: with the address where it takes place, when given.
    pub online: Option<Option<String>>,
    pub price: Option<String>,
    pub booking_url: Option<String>,
    pub status: EventStatus,
}

impl Event {
    /// Past once the day it ends (or starts) is over where it takes place.
    pub fn is_past(&self, today: Date) -> bool {
        self.end.as_ref().unwrap_or(&self.start).date() < today
    }
}

/// The details of a page of a section of `kind` (`None` outside sections), or what is wrong
/// with its front matter, at the keys.
pub fn details(source: &SourcePage, kind: Option<SectionKind>) -> Result<Details, Vec<Diagnostic>> {
    let mut problems = misplaced_keys(source, kind);
    let front = &source.front;
    let text = |value: &Option<Spanned<String>>| {
        value
            .as_ref()
            .map(|value| value.get_ref().trim().to_string())
            .filter(|value| !value.is_empty())
    };
    let details = match kind {
        Some(SectionKind::People) => Details::Person {
            role: text(&front.role),
            photo: text(&front.photo),
        },
        Some(SectionKind::Testimonials) => {
            if front.consent_to_publish.as_ref().map(|yes| *yes.get_ref()) != Some(true) {
                let problem = match &front.consent_to_publish {
                    Some(no) => {
                        source.front_error(no.span(), "the author has not agreed to publication")
                    }
                    None => Diagnostic::error(
                        &source.display_path,
                        "a testimonial needs `consent_to_publish = true`",
                    )
                    .at_location(1, 1),
                };
                problems.push(problem.with_help(
                    "publish a testimonial only with its author's agreement, then write `consent_to_publish = true`",
                ));
            }
            Details::Testimonial {
                role: text(&front.role),
                company: text(&front.company),
                photo: text(&front.photo),
            }
        }
        Some(SectionKind::Events) => match event(source) {
            Ok(event) => Details::Event(event),
            Err(found) => {
                problems.extend(found);
                Details::None
            }
        },
        _ => Details::None,
    };
    if problems.is_empty() {
        Ok(details)
    } else {
        Err(problems)
    }
}

/// Keys of another kind's pages: an error at each, naming the kind they belong to.
fn misplaced_keys(source: &SourcePage, kind: Option<SectionKind>) -> Vec<Diagnostic> {
    let front = &source.front;
    // Each key of one kind's pages, where it is written, and the kind.
    let keys = [
        (
            "consent_to_publish",
            front.consent_to_publish.as_ref().map(Spanned::span),
            SectionKind::Testimonials,
        ),
        (
            "company",
            front.company.as_ref().map(Spanned::span),
            SectionKind::Testimonials,
        ),
        (
            "start",
            front.start.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "end",
            front.end.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "timezone",
            front.timezone.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "location",
            front.location.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "online",
            front.online.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "price",
            front.price.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "booking_url",
            front.booking_url.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
        (
            "status",
            front.status.as_ref().map(Spanned::span),
            SectionKind::Events,
        ),
    ];
    let mut problems: Vec<Diagnostic> = keys
        .into_iter()
        .filter_map(|(key, span, owner)| {
            let span = span?;
            (kind != Some(owner)).then(|| {
                source
                    .front_error(span, format!("`{key}` only applies to a page in a section of {}", owner.name()))
                    .with_help(format!(
                        "move the page into a folder whose `_index.md` says `kind = \"{}\"`, or remove the key",
                        owner.name()
                    ))
            })
        })
        .collect();
    let people_keys = [("role", &front.role), ("photo", &front.photo)];
    for (key, value) in people_keys {
        if let Some(value) = value
            && !matches!(kind, Some(SectionKind::People | SectionKind::Testimonials))
        {
            problems.push(
                source
                    .front_error(
                        value.span(),
                        format!(
                            "`{key}` only applies to a page in a section of people or testimonials"
                        ),
                    )
                    .with_help("move the page into such a section, or remove the key"),
            );
        }
    }
    problems
}

/// An event's times, place and offer from its front matter.
fn event(source: &SourcePage) -> Result<Event, Vec<Diagnostic>> {
    let front = &source.front;
    let mut problems = Vec::new();
    let zone = match &front.timezone {
        Some(name) => match TimeZone::get(name.get_ref()) {
            Ok(zone) => Some(zone),
            Err(_) => {
                problems.push(
                    source
                        .front_error(
                            name.span(),
                            format!("unknown time zone `{}`", name.get_ref()),
                        )
                        .with_help(
                            "name a time zone of the IANA database, such as \"Europe/London\"",
                        ),
                );
                None
            }
        },
        None => None,
    };
    let start = match &front.start {
        Some(start) => event_time(source, start, zone.as_ref(), "start")
            .map_err(|problem| problems.push(*problem))
            .ok(),
        None => {
            problems.push(
                Diagnostic::error(&source.display_path, "an event needs a `start`")
                    .at_location(1, 1)
                    .with_help("write when it starts, with its time zone: `start = 2027-03-04T09:30:00` and `timezone = \"Europe/London\"`"),
            );
            None
        }
    };
    let end = front.end.as_ref().and_then(|end| {
        event_time(source, end, zone.as_ref(), "end")
            .map_err(|problem| problems.push(*problem))
            .ok()
    });
    if let (Some(start), Some(end), Some(end_span)) = (&start, &end, &front.end)
        && end < start
    {
        problems.push(
            source
                .front_error(end_span.span(), "the event ends before it starts")
                .with_help("check the `end`, and that `start` and `end` are in the same time zone"),
        );
    }
    let online = match &front.online {
        None => None,
        Some(value) => match value.get_ref() {
            toml::Value::Boolean(true) => Some(None),
            toml::Value::Boolean(false) => None,
            toml::Value::String(url) if url.starts_with("https://") => Some(Some(url.clone())),
            _ => {
                problems.push(
                    source
                        .front_error(
                            value.span(),
                            "`online` is `true` or the event's `https://` address",
                        )
                        .with_help("write `online = true`, or `online = \"https://…\"`"),
                );
                None
            }
        },
    };
    if front.location.is_none() && online.is_none() {
        problems.push(
            Diagnostic::error(&source.display_path, "an event needs a `location` or `online`")
                .at_location(1, 1)
                .with_help("write where it takes place: `location = \"Venue, street, town\"`, or `online = true`"),
        );
    }
    if let Some(url) = &front.booking_url
        && !url.get_ref().starts_with("https://")
        && !url.get_ref().starts_with("@/")
    {
        problems.push(
            source
                .front_error(url.span(), "`booking_url` must be an `https://` address")
                .with_help("give the address of the booking page, such as \"https://cal.com/…\""),
        );
    }
    match start {
        Some(start) if problems.is_empty() => Ok(Event {
            start,
            end,
            location: front
                .location
                .as_ref()
                .map(|location| location.get_ref().trim().to_string()),
            online,
            price: front
                .price
                .as_ref()
                .map(|price| price.get_ref().trim().to_string()),
            booking_url: front.booking_url.as_ref().map(|url| url.get_ref().clone()),
            status: front
                .status
                .as_ref()
                .map(|status| *status.get_ref())
                .unwrap_or_default(),
        }),
        _ => Err(problems),
    }
}

/// A start or end: a date and time, with a UTC offset or in `zone`.
fn event_time(
    source: &SourcePage,
    value: &Spanned<toml::value::Datetime>,
    zone: Option<&TimeZone>,
    key: &str,
) -> Result<ZonedDateTime, Box<Diagnostic>> {
    let error = |message: String, help: &str| {
        Box::new(
            source
                .front_error(value.span(), message)
                .with_help(help.to_string()),
        )
    };
    let written = value.get_ref();
    let date = crate::date::PageDate::from_toml(written).map_err(|message| {
        error(
            format!("invalid `{key}`: {message}"),
            "write a date and time, such as 2027-03-04T09:30:00",
        )
    })?;
    let Some(time) = date.time else {
        return Err(error(
            format!("the `{key}` has no time of day"),
            "write the time too, such as 2027-03-04T09:30:00",
        ));
    };
    let local = civil::DateTime::from_parts(date.date, time);
    let missing = || {
        error(
            format!("the `{key}` does not exist in its time zone"),
            "check the date and time",
        )
    };
    match (date.offset, zone) {
        // With an offset and a zone, the offset says when; the zone how it is shown.
        (Some(offset), zone) => {
            let fixed = local
                .to_zoned_datetime(TimeZone::fixed(offset))
                .map_err(|_| missing())?;
            Ok(match zone {
                Some(zone) => fixed.with_time_zone(zone.clone()),
                None => fixed,
            })
        }
        (None, Some(zone)) => local.to_zoned_datetime(zone.clone()).map_err(|_| missing()),
        (None, None) => Err(error(
            format!("the `{key}` has no time zone"),
            "add `timezone = \"Europe/London\"` (the event's), or an offset: 2027-03-04T09:30:00+01:00",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::Offset;

    #[test]
    fn an_event_is_past_once_its_last_day_is_over() {
        let zone = TimeZone::fixed(Offset::UTC);
        let at = |day| {
            civil::date(2027, 3, day)
                .at(9, 0, 0, 0)
                .to_zoned_datetime(zone.clone())
                .unwrap()
        };
        let event = Event {
            start: at(4),
            end: Some(at(5)),
            location: None,
            online: Some(None),
            price: None,
            booking_url: None,
            status: EventStatus::Scheduled,
        };
        assert!(!event.is_past(civil::date(2027, 3, 5)));
        assert!(event.is_past(civil::date(2027, 3, 6)));
    }
}
