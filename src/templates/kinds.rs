//! What templates see of people, testimonials and events (`page.person`, `page.testimonial`,
//! `page.event`, and the same in lists), and their schema.org data.

use jiff::ZonedDateTime;
use serde::Serialize;

use super::context::site_file;
use crate::content::{EventStatus, SectionKind};
use crate::site::{Details, Event, Page, Site};

/// The file beside an event's page that calendars import.
pub const CALENDAR_FILE: &str = "event.ics";

#[derive(Serialize, Default)]
pub(super) struct DetailsContext<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<PersonContext<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    testimonial: Option<TestimonialContext<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<EventContext<'a>>,
}

#[derive(Serialize)]
struct PersonContext<'a> {
    role: Option<&'a str>,
    photo: Option<String>,
}

#[derive(Serialize)]
struct TestimonialContext<'a> {
    role: Option<&'a str>,
    company: Option<&'a str>,
    photo: Option<String>,
    /// The quote: the page's body as HTML.
    quote: &'a str,
}

#[derive(Serialize)]
struct EventContext<'a> {
    start: TimeContext,
    end: Option<TimeContext>,
    /// When, in words: `Thursday 4 March 2027, 09:30 to 17:00 GMT`.
    when: String,
    location: Option<&'a str>,
    online: bool,
    online_url: Option<&'a str>,
    price: Option<&'a str>,
    booking_url: Option<&'a str>,
    status: &'static str,
    /// The URL of its `.ics` file.
    calendar_url: String,
}

#[derive(Serialize)]
struct TimeContext {
    /// `2027-03-04T09:30:00+00:00`.
    rfc3339: String,
    /// `Thursday 4 March 2027, 09:30 GMT`.
    display: String,
}

impl From<&ZonedDateTime> for TimeContext {
    fn from(time: &ZonedDateTime) -> Self {
        TimeContext {
            rfc3339: rfc3339(time),
            display: time.strftime("%A %-d %B %Y, %H:%M %Z").to_string(),
        }
    }
}

fn rfc3339(time: &ZonedDateTime) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

impl<'a> DetailsContext<'a> {
    pub(super) fn new(site: &Site, page: &'a Page, content: &'a str) -> Self {
        let photo = |photo: &Option<String>| photo.as_deref().map(|photo| file_url(site, photo));
        match &page.details {
            Details::None => DetailsContext::default(),
            Details::Person { role, photo: file } => DetailsContext {
                person: Some(PersonContext {
                    role: role.as_deref(),
                    photo: photo(file),
                }),
                ..DetailsContext::default()
            },
            Details::Testimonial {
                role,
                company,
                photo: file,
            } => DetailsContext {
                testimonial: Some(TestimonialContext {
                    role: role.as_deref(),
                    company: company.as_deref(),
                    photo: photo(file),
                    quote: content,
                }),
                ..DetailsContext::default()
            },
            Details::Event(event) => DetailsContext {
                event: Some(EventContext::new(site, page, event)),
                ..DetailsContext::default()
            },
        }
    }
}

impl<'a> EventContext<'a> {
    fn new(site: &Site, page: &Page, event: &'a Event) -> Self {
        let (online, online_url) = match &event.online {
            Some(url) => (true, url.as_deref()),
            None => (false, None),
        };
        EventContext {
            start: TimeContext::from(&event.start),
            end: event.end.as_ref().map(TimeContext::from),
            when: when(event),
            location: event.location.as_deref(),
            online,
            online_url,
            price: event.price.as_deref(),
            booking_url: event.booking_url.as_deref(),
            status: status_name(event.status),
            calendar_url: site.url(&calendar_path(page)),
        }
    }
}

/// The path of an event's calendar file below the base path.
pub fn calendar_path(page: &Page) -> String {
    [page.path.as_str(), CALENDAR_FILE].concat()
}

fn status_name(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Scheduled => "scheduled",
        EventStatus::Cancelled => "cancelled",
        EventStatus::Postponed => "postponed",
        EventStatus::Rescheduled => "rescheduled",
    }
}

/// An event's times in words, in its own time zone; the day once when it ends on it.
fn when(event: &Event) -> String {
    let start = event.start.strftime("%A %-d %B %Y, %H:%M");
    match &event.end {
        None => format!("{start} {}", event.start.strftime("%Z")),
        Some(end) if end.date() == event.start.date() => {
            format!("{start} to {}", end.strftime("%H:%M %Z"))
        }
        Some(end) => format!(
            "{start} {} to {}",
            event.start.strftime("%Z"),
            end.strftime("%A %-d %B %Y, %H:%M %Z")
        ),
    }
}

/// A file of the site as a URL: a static file by its fingerprinted name.
fn file_url(site: &Site, path: &str) -> String {
    if path.starts_with("https://") {
        return path.to_string();
    }
    site.url(site_file(site, path))
}

/// schema.org data of a page of a section of people, services or events; testimonials get
/// none, so that no search engine takes them for reviews.
pub(super) fn structured_data(site: &Site, page: &Page) -> Option<serde_json::Value> {
    let permalink = site.permalink(&page.path);
    // The `@id` ties it to the firm the home page describes in full.
    let organization = serde_json::json!({
        "@type": "Organization",
        "@id": super::context::organization_id(&site.settings),
        "name": site.settings.title,
        "url": site.settings.base_url.absolute(),
    });
    let description = page.description.as_deref();
    let json = match (&page.details, page.section_kind) {
        (Details::Person { role, photo }, _) => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Person",
            "name": page.title,
            "jobTitle": role,
            "description": description,
            "image": photo.as_deref().map(|photo| absolute(site, photo)),
            "url": permalink,
            "worksFor": organization,
        }),
        (Details::Event(event), _) => event_data(site, page, event, organization),
        (_, Some(SectionKind::Services)) => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Service",
            "name": page.title,
            "description": description,
            "url": permalink,
            "provider": organization,
        }),
        _ => return None,
    };
    Some(without_nulls(json))
}

fn event_data(
    site: &Site,
    page: &Page,
    event: &Event,
    organizer: serde_json::Value,
) -> serde_json::Value {
    let place = event.location.as_deref().map(
        |location| serde_json::json!({"@type": "Place", "name": location, "address": location}),
    );
    let online = event.online.as_ref().map(|url| {
        let url = url.clone().unwrap_or_else(|| site.permalink(&page.path));
        serde_json::json!({"@type": "VirtualLocation", "url": url})
    });
    let mode = match (&place, &online) {
        (Some(_), Some(_)) => "MixedEventAttendanceMode",
        (None, Some(_)) => "OnlineEventAttendanceMode",
        _ => "OfflineEventAttendanceMode",
    };
    let location: Vec<serde_json::Value> = place.into_iter().chain(online).collect();
    let status = match event.status {
        EventStatus::Scheduled => "EventScheduled",
        EventStatus::Cancelled => "EventCancelled",
        EventStatus::Postponed => "EventPostponed",
        EventStatus::Rescheduled => "EventRescheduled",
    };
    let offers = (event.price.is_some() || event.booking_url.is_some()).then(|| {
        serde_json::json!({
            "@type": "Offer",
            "price": event.price,
            "url": event.booking_url.as_deref().map(|url| absolute(site, url)),
        })
    });
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": page.title,
        "description": page.description,
        "startDate": rfc3339(&event.start),
        "endDate": event.end.as_ref().map(rfc3339),
        "eventStatus": format!("https://schema.org/{status}"),
        "eventAttendanceMode": format!("https://schema.org/{mode}"),
        "location": if location.len() == 1 { location[0].clone() } else { serde_json::Value::from(location) },
        "offers": offers,
        "organizer": organizer,
        "url": site.permalink(&page.path),
    })
}

/// A path of the site as an absolute URL; an `https://` URL as it is.
fn absolute(site: &Site, path: &str) -> String {
    if path.starts_with("https://") {
        return path.to_string();
    }
    site.permalink(site_file(site, path))
}

/// JSON without its null members, which schema.org readers flag.
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(key, value)| (key, without_nulls(value)))
            .collect(),
        other => other,
    }
}

/// An event as an iCalendar file (RFC 5545): its times in UTC, its text escaped and folded.
pub fn calendar(site: &Site, page: &Page, event: &Event) -> String {
    let utc = |time: &ZonedDateTime| time.timestamp().strftime("%Y%m%dT%H%M%SZ").to_string();
    let permalink = site.permalink(&page.path);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        format!("PRODID:-//{}//aimsite//EN", escape(&site.settings.title)),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", escape(&permalink)),
        // When the event was made known is not recorded: its start keeps the file the same
        // from build to build.
        format!("DTSTAMP:{}", utc(&event.start)),
        format!("DTSTART:{}", utc(&event.start)),
    ];
    if let Some(end) = &event.end {
        lines.push(format!("DTEND:{}", utc(end)));
    }
    lines.push(format!("SUMMARY:{}", escape(&page.title)));
    if let Some(description) = &page.description {
        lines.push(format!("DESCRIPTION:{}", escape(description)));
    }
    let place = event
        .location
        .clone()
        .or_else(|| event.online.clone().flatten());
    if let Some(place) = place {
        lines.push(format!("LOCATION:{}", escape(&place)));
    }
    lines.push(format!("URL:{}", escape(&permalink)));
    lines.push(format!(
        "STATUS:{}",
        match event.status {
            EventStatus::Cancelled => "CANCELLED",
            EventStatus::Postponed => "TENTATIVE",
            EventStatus::Scheduled | EventStatus::Rescheduled => "CONFIRMED",
        }
    ));
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|line| fold(line) + "\r\n").collect()
}

/// Text escaped for an iCalendar value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// A line folded at 75 bytes, never inside a character: each further part starts with a space.
fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 74 * 3);
    let mut length = 0;
    for character in line.chars() {
        let size = character.len_utf8();
        if length + size > 75 {
            folded.push_str("\r\n ");
            length = 1;
        }
        folded.push(character);
        length += size;
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_text_is_escaped_and_long_lines_folded() {
        assert_eq!(
            escape("Leeds, UK; room 2\nfloor\\1"),
            "Leeds\\, UK\\; room 2\\nfloor\\\\1"
        );
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        assert!(
            folded.split("\r\n").all(|part| part.len() <= 75),
            "{folded}"
        );
        assert_eq!(folded.replace("\r\n ", ""), line);
    }
}
