//! Dates, as front matter writes them and as pages show them. The calendar is jiff's: this
//! module only says which parts a front matter date has and how pages print it.

use jiff::civil;
use jiff::fmt::strtime::BrokenDownTime;
use jiff::tz::Offset;

/// A calendar date with an optional time of day and UTC offset, as front matter gives it
/// (`2020-02-10`, `2020-02-10T09:30:00`, `2020-02-10T09:30:00+05:30`). Ordered by date, then
/// time, then offset, as written: pages sort by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageDate {
    pub date: civil::Date,
    pub time: Option<civil::Time>,
    pub offset: Option<Offset>,
}

impl PageDate {
    /// A date without a time.
    pub fn day(date: civil::Date) -> PageDate {
        PageDate {
            date,
            time: None,
            offset: None,
        }
    }

    /// Checks a TOML date: it must have a date part that exists in the calendar.
    pub fn from_toml(value: &toml::value::Datetime) -> Result<PageDate, String> {
        let day = value.date.ok_or("a time without a date")?;
        let month =
            i8::try_from(day.month).map_err(|_| format!("there is no month {}", day.month))?;
        if !(1..=12).contains(&month) {
            return Err(format!("there is no month {month}"));
        }
        let year = i16::try_from(day.year)
            .map_err(|_| format!("the year {} is out of range", day.year))?;
        let date = civil::Date::new(year, month, day.day as i8).map_err(|_| {
            let first = civil::Date::new(year, month, 1).unwrap_or_default();
            format!("{} has no day {}", first.strftime("%B %-Y"), day.day)
        })?;
        let time = value
            .time
            .map(|time| {
                civil::Time::new(
                    time.hour as i8,
                    time.minute as i8,
                    time.second.unwrap_or(0) as i8,
                    0,
                )
                .map_err(|_| format!("{}:{} is not a time of day", time.hour, time.minute))
            })
            .transpose()?;
        let offset = value
            .offset
            .map(|offset| match offset {
                toml::value::Offset::Z => Ok(Offset::UTC),
                toml::value::Offset::Custom { minutes } => {
                    Offset::from_seconds(i32::from(minutes) * 60)
                        .map_err(|_| format!("{minutes} minutes is not a UTC offset"))
                }
            })
            .transpose()?;
        Ok(PageDate { date, time, offset })
    }

    /// `2020-02-10`.
    pub fn iso(&self) -> String {
        self.date.to_string()
    }

    /// `2020-02-10T00:00:00Z`, as feeds and structured data want it: a date without a time is
    /// taken as midnight UTC.
    pub fn rfc3339(&self) -> String {
        let datetime = self
            .date
            .to_datetime(self.time.unwrap_or(civil::Time::midnight()));
        match self.offset.filter(|offset| *offset != Offset::UTC) {
            // Written out, not through strftime's interpreter: every page's context has it.
            None if (0..=9999).contains(&datetime.year()) => {
                let mut text = String::with_capacity(20);
                let parts = [
                    (datetime.year(), 4, '-'),
                    (datetime.month().into(), 2, '-'),
                    (datetime.day().into(), 2, 'T'),
                    (datetime.hour().into(), 2, ':'),
                    (datetime.minute().into(), 2, ':'),
                    (datetime.second().into(), 2, 'Z'),
                ];
                for (number, width, then) in parts {
                    push_padded(&mut text, number, width);
                    text.push(then);
                }
                text
            }
            None => datetime.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Some(offset) => {
                let mut parts = BrokenDownTime::from(datetime);
                parts.set_offset(Some(offset));
                parts
                    .to_string("%Y-%m-%dT%H:%M:%S%:z")
                    .unwrap_or_else(|_| datetime.to_string())
            }
        }
    }

    /// `10 February 2020`.
    pub fn display(&self) -> String {
        let month = usize::try_from(self.date.month() - 1)
            .ok()
            .and_then(|index| MONTHS.get(index));
        match month {
            Some(month) if self.date.year() >= 0 => {
                let mut text = String::with_capacity(20);
                push_padded(&mut text, self.date.day().into(), 1);
                text.push(' ');
                text.push_str(month);
                text.push(' ');
                push_padded(&mut text, self.date.year(), 1);
                text
            }
            _ => self.date.strftime("%-d %B %-Y").to_string(),
        }
    }
}

/// Appends a number in at least `width` digits, zeros first, as `{:0width$}` would for one
/// that is not negative, at a fraction of its cost.
fn push_padded(text: &mut String, number: i16, width: usize) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(number);
    text.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    text.push_str(digits);
}

/// The months' names, as `%B` writes them.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Today in the computer's time zone (UTC where that cannot be known).
pub fn today() -> civil::Date {
    let now = jiff::Timestamp::now();
    // `/etc/localtime` read as it is: jiff's own look for the zone's name lists the whole
    // time zone database first, which took a tenth of the firm's site's build.
    let local = std::env::var_os("TZ")
        .is_none()
        .then(|| std::fs::read("/etc/localtime").ok())
        .flatten()
        .and_then(|data| jiff::tz::TimeZone::tzif("localtime", &data).ok());
    match local {
        Some(zone) => zone.to_datetime(now).date(),
        None => jiff::ZonedDateTime::now().date(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PageDate, String> {
        PageDate::from_toml(&text.parse().unwrap())
    }

    #[test]
    fn dates_format_for_people_and_machines() {
        let date = PageDate::day(civil::date(2020, 2, 1));
        assert_eq!(date.iso(), "2020-02-01");
        assert_eq!(date.display(), "1 February 2020");
        assert_eq!(date.rfc3339(), "2020-02-01T00:00:00Z");
        let date = parse("2020-02-01T09:30:00+05:30").unwrap();
        assert_eq!(date.rfc3339(), "2020-02-01T09:30:00+05:30");
        let date = parse("0987-12-31T23:05:09-10:00").unwrap();
        assert_eq!(date.iso(), "0987-12-31");
        assert_eq!(date.display(), "31 December 987");
        assert_eq!(date.rfc3339(), "0987-12-31T23:05:09-10:00");
        assert_eq!(
            parse("2020-02-01T09:30:00Z").unwrap().rfc3339(),
            "2020-02-01T09:30:00Z"
        );
    }

    #[test]
    fn the_written_out_formats_are_strftimes() {
        for year in [0, 7, 987, 1999, 2020, 9999] {
            for month in 1..=12 {
                let day = civil::date(year, month, 28);
                let noon = day.to_datetime(civil::time(12, 5, 9, 0));
                let date = PageDate {
                    date: day,
                    time: Some(noon.time()),
                    offset: Some(Offset::UTC),
                };
                assert_eq!(date.display(), day.strftime("%-d %B %-Y").to_string());
                assert_eq!(
                    date.rfc3339(),
                    noon.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
                );
            }
        }
    }

    #[test]
    fn a_time_alone_is_no_date() {
        assert_eq!(parse("09:30:00").unwrap_err(), "a time without a date");
    }

    #[test]
    fn dates_sort_by_day_then_time() {
        let mut dates = [
            parse("2020-02-02").unwrap(),
            parse("2020-02-01T10:00:00").unwrap(),
            parse("2020-02-01").unwrap(),
        ];
        dates.sort();
        let shown: Vec<String> = dates.iter().map(PageDate::rfc3339).collect();
        assert_eq!(
            shown,
            [
                "2020-02-01T00:00:00Z",
                "2020-02-01T10:00:00Z",
                "2020-02-02T00:00:00Z"
            ]
        );
    }
}
