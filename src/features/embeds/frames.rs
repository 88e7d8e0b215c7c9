//! The frames of the `booking` and `map` shortcodes, made from their arguments: the frame's
//! address and origin, the link a visitor without JavaScript follows, and what is wrong with
//! the arguments. The checks of the Markdown, the shortcodes' template function
//! (`embed_frame`) and the CSP's `frame-src` all read them here, so they cannot disagree.

use std::collections::BTreeMap;

use serde::Serialize;
use url::Url;

/// A shortcode's arguments by name, as written (numbers as text).
pub type Args<'a> = BTreeMap<&'a str, &'a str>;

/// The frame one shortcode call shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Frame {
    /// The provider's name, as visitors know it ("Cal.com").
    pub provider: &'static str,
    /// Where the frame's document comes from, for the CSP's `frame-src`.
    pub origin: String,
    pub frame: String,
    /// The same content on the provider's site, for visitors without JavaScript.
    pub link: String,
}

/// What is wrong with a call's arguments: at `arg`, or at the whole call when `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgProblem {
    pub arg: Option<&'static str>,
    pub message: String,
    pub help: String,
}

fn problem(arg: Option<&'static str>, message: String, help: impl Into<String>) -> ArgProblem {
    ArgProblem {
        arg,
        message,
        help: help.into(),
    }
}

/// The frame of a call of `shortcode` (`booking` or `map`); `None` for another shortcode.
pub fn frame(shortcode: &str, args: &Args) -> Option<Result<Frame, ArgProblem>> {
    match shortcode {
        "booking" => Some(booking(args)),
        "map" => Some(map(args)),
        _ => None,
    }
}

/// A booking service: the hosts its booking pages are on, and what its frame adds to one.
struct BookingProvider {
    id: &'static str,
    name: &'static str,
    hosts: &'static [&'static str],
    example: &'static str,
    embed_query: (&'static str, &'static str),
}

const BOOKING_PROVIDERS: [BookingProvider; 2] = [
    BookingProvider {
        id: "calcom",
        name: "Cal.com",
        hosts: &["cal.com", "app.cal.com"],
        example: "https://cal.com/your-name/30min",
        embed_query: ("embed", "true"),
    },
    BookingProvider {
        id: "calendly",
        name: "Calendly",
        hosts: &["calendly.com"],
        example: "https://calendly.com/your-name/30min",
        embed_query: ("embed_type", "Inline"),
    },
];

const BOOKING_HELP: &str = "give provider=\"calcom\" (Cal.com) or provider=\"calendly\" (Calendly)";

/// `booking(provider=…, url=…)`: the booking page as a frame.
fn booking(args: &Args) -> Result<Frame, ArgProblem> {
    let Some(id) = args.get("provider") else {
        return Err(problem(
            None,
            "`booking` needs a `provider`".into(),
            BOOKING_HELP,
        ));
    };
    let provider = BOOKING_PROVIDERS
        .iter()
        .find(|provider| provider.id == *id)
        .ok_or_else(|| {
            problem(
                Some("provider"),
                format!("`{id}` is not a booking provider"),
                BOOKING_HELP,
            )
        })?;
    let help = format!(
        "give the address of your {} booking page, such as \"{}\"",
        provider.name, provider.example
    );
    let Some(written) = args.get("url") else {
        return Err(problem(
            None,
            "`booking` needs the `url` of the booking page".into(),
            help,
        ));
    };
    let url = https_url(written, &help)?;
    let host = url.host_str().unwrap_or_default();
    if !provider.hosts.contains(&host) {
        return Err(problem(
            Some("url"),
            format!(
                "`{written}` is not on {} ({})",
                provider.name,
                provider.hosts.join(", ")
            ),
            help,
        ));
    }
    if url.path().trim_matches('/').is_empty() {
        return Err(problem(
            Some("url"),
            format!(
                "`{written}` is {}'s home page, not a booking page",
                provider.name
            ),
            help,
        ));
    }
    let mut frame = url.clone();
    frame
        .query_pairs_mut()
        .append_pair(provider.embed_query.0, provider.embed_query.1);
    Ok(Frame {
        provider: provider.name,
        origin: url.origin().ascii_serialization(),
        frame: frame.to_string(),
        link: url.to_string(),
    })
}

/// The first part of the path of the booking pages this documentation and the firm's site use
/// until the real one is known: a frame of one shows no calendar.
const PLACEHOLDER_ACCOUNTS: [&str; 2] = ["example", "your-name"];

/// Whether a booking page is a placeholder (`https://cal.com/example/intro`).
pub fn is_placeholder_booking(frame: &Frame) -> bool {
    Url::parse(&frame.link).is_ok_and(|url| {
        url.path_segments()
            .and_then(|mut segments| segments.next())
            .is_some_and(|account| PLACEHOLDER_ACCOUNTS.contains(&account))
    })
}

/// An `https://` URL with a host and no user name or password in it.
fn https_url(written: &str, help: &str) -> Result<Url, ArgProblem> {
    let not_https = || {
        problem(
            Some("url"),
            format!("`{written}` is not an https:// address"),
            help,
        )
    };
    let url = Url::parse(written.trim()).map_err(|_| not_https())?;
    if url.scheme() != "https" || url.host_str().is_none() || !url.username().is_empty() {
        return Err(not_https());
    }
    Ok(url)
}

const OPENSTREETMAP: &str = "https://www.openstreetmap.org";
const GOOGLE: &str = "https://www.google.com";
const MAP_HELP: &str = "give provider=\"openstreetmap\" (the default) or provider=\"google\"";
const PLACE_HELP: &str = "give the place as lat=\"51.5074\", lon=\"-0.1278\" (and zoom, 0 to 19), or the area as bbox=\"WEST,SOUTH,EAST,NORTH\"";
/// The zoom of an OpenStreetMap map given only a place: a few streets around it.
const DEFAULT_ZOOM: u32 = 15;
/// The size the area shown is worked out for: a text column's width, at 4:3.
const MAP_WIDTH: f64 = 720.0;
const MAP_HEIGHT: f64 = 540.0;

/// `map(provider=…, …)`: an OpenStreetMap or Google Maps map as a frame.
fn map(args: &Args) -> Result<Frame, ArgProblem> {
    match args.get("provider").copied().unwrap_or("openstreetmap") {
        "openstreetmap" => {
            refuse(
                args,
                &["url", "query"],
                "Google Maps",
                "provider=\"google\"",
            )?;
            openstreetmap(args)
        }
        "google" => {
            refuse(
                args,
                &["lat", "lon", "zoom", "bbox"],
                "OpenStreetMap",
                "provider=\"openstreetmap\"",
            )?;
            google(args)
        }
        other => Err(problem(
            Some("provider"),
            format!("`{other}` is not a map provider"),
            MAP_HELP,
        )),
    }
}

/// An error at the first of `names` given: they belong to the other provider.
fn refuse(
    args: &Args,
    names: &[&'static str],
    other: &str,
    provider: &str,
) -> Result<(), ArgProblem> {
    match names.iter().find(|name| args.contains_key(*name)) {
        Some(name) => Err(problem(
            Some(name),
            format!("`{name}` is for {other} maps"),
            format!("remove `{name}`, or set {provider}"),
        )),
        None => Ok(()),
    }
}

/// A place: latitude and longitude in degrees.
#[derive(Debug, Clone, Copy)]
struct Place {
    lat: f64,
    lon: f64,
}

/// An area: west, south, east, north, in degrees.
#[derive(Debug, Clone, Copy)]
struct Area([f64; 4]);

fn openstreetmap(args: &Args) -> Result<Frame, ArgProblem> {
    let place = place(args)?;
    let zoom = zoom(args)?;
    let area = match args.get("bbox") {
        Some(written) => area(written)?,
        None => match place {
            Some(place) => area_around(place, zoom),
            None => {
                return Err(problem(
                    None,
                    "`map` needs a place or an area".into(),
                    PLACE_HELP,
                ));
            }
        },
    };
    let [west, south, east, north] = area.0;
    let mut frame = format!(
        "{OPENSTREETMAP}/export/embed.html?bbox={}%2C{}%2C{}%2C{}&layer=mapnik",
        degrees(west),
        degrees(south),
        degrees(east),
        degrees(north)
    );
    let link = match place {
        Some(Place { lat, lon }) => {
            let (lat, lon) = (degrees(lat), degrees(lon));
            frame.push_str(&format!("&marker={lat}%2C{lon}"));
            format!("{OPENSTREETMAP}/?mlat={lat}&mlon={lon}#map={zoom}/{lat}/{lon}")
        }
        None => format!(
            "{OPENSTREETMAP}/?minlon={}&minlat={}&maxlon={}&maxlat={}",
            degrees(west),
            degrees(south),
            degrees(east),
            degrees(north)
        ),
    };
    Ok(Frame {
        provider: "OpenStreetMap",
        origin: OPENSTREETMAP.into(),
        frame,
        link,
    })
}

/// Degrees to a millionth (about 10 cm), without trailing zeros.
fn degrees(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// `lat` and `lon`, both or neither.
fn place(args: &Args) -> Result<Option<Place>, ArgProblem> {
    let coordinate = |name: &'static str, limit: f64| -> Result<Option<f64>, ArgProblem> {
        let Some(written) = args.get(name) else {
            return Ok(None);
        };
        match written.trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value.abs() <= limit => Ok(Some(value)),
            _ => Err(problem(
                Some(name),
                format!(
                    "`{written}` is not a {} from -{limit} to {limit}",
                    if name == "lat" {
                        "latitude"
                    } else {
                        "longitude"
                    }
                ),
                PLACE_HELP,
            )),
        }
    };
    match (coordinate("lat", 90.0)?, coordinate("lon", 180.0)?) {
        (Some(lat), Some(lon)) => Ok(Some(Place { lat, lon })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(problem(Some("lat"), "`lat` needs `lon`".into(), PLACE_HELP)),
        (None, Some(_)) => Err(problem(Some("lon"), "`lon` needs `lat`".into(), PLACE_HELP)),
    }
}

fn zoom(args: &Args) -> Result<u32, ArgProblem> {
    let Some(written) = args.get("zoom") else {
        return Ok(DEFAULT_ZOOM);
    };
    written
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|zoom| *zoom <= 19)
        .ok_or_else(|| {
            problem(
                Some("zoom"),
                format!("`{written}` is not a zoom from 0 to 19"),
                "give a whole number: 0 shows the world, 15 a few streets, 19 a building",
            )
        })
}

/// `bbox="WEST,SOUTH,EAST,NORTH"`.
fn area(written: &str) -> Result<Area, ArgProblem> {
    let wrong = || {
        problem(
            Some("bbox"),
            format!("`{written}` is not an area"),
            "give four numbers: west and south, then east and north, in degrees, such as bbox=\"-0.14,51.50,-0.12,51.51\"",
        )
    };
    let numbers: Vec<f64> = written
        .split(',')
        .map(|part| part.trim().parse::<f64>().map_err(|_| wrong()))
        .collect::<Result<_, _>>()?;
    let [west, south, east, north] = <[f64; 4]>::try_from(numbers).map_err(|_| wrong())?;
    let longitudes = |a: f64, b: f64| a.abs() <= 180.0 && b.abs() <= 180.0 && a < b;
    let latitudes = |a: f64, b: f64| a.abs() <= 90.0 && b.abs() <= 90.0 && a < b;
    if !(longitudes(west, east) && latitudes(south, north)) {
        return Err(wrong());
    }
    Ok(Area([west, south, east, north]))
}

/// The area a map of `MAP_WIDTH` × `MAP_HEIGHT` pixels shows around a place at a zoom: at
/// zoom z, 256 pixels span 360 / 2^z degrees of longitude, and a degree of latitude is
/// cos(latitude) times as many pixels (Web Mercator, near the place).
fn area_around(place: Place, zoom: u32) -> Area {
    let degrees_per_pixel = 360.0 / 256.0 / f64::from(1u32 << zoom);
    let half_width = degrees_per_pixel * MAP_WIDTH / 2.0;
    let half_height = degrees_per_pixel * MAP_HEIGHT / 2.0 * place.lat.to_radians().cos();
    Area([
        (place.lon - half_width).max(-180.0),
        (place.lat - half_height).max(-90.0),
        (place.lon + half_width).min(180.0),
        (place.lat + half_height).min(90.0),
    ])
}

const GOOGLE_HELP: &str = "give query=\"a place or an address\", or in Google Maps choose Share, then Embed a map, and give the address in its src=\"…\" as url";

fn google(args: &Args) -> Result<Frame, ArgProblem> {
    let (frame, link) = match (args.get("url"), args.get("query")) {
        (Some(_), Some(_)) => {
            return Err(problem(
                Some("query"),
                "give `url` or `query`, not both".into(),
                GOOGLE_HELP,
            ));
        }
        (None, None) => {
            return Err(problem(
                None,
                "a Google map needs a `query` or an embed `url`".into(),
                GOOGLE_HELP,
            ));
        }
        (Some(written), None) => {
            let url = https_url(written, GOOGLE_HELP)?;
            if url.host_str() != Some("www.google.com") || !url.path().starts_with("/maps/embed") {
                return Err(problem(
                    Some("url"),
                    format!("`{written}` is not a Google Maps embed address"),
                    GOOGLE_HELP,
                ));
            }
            (url.to_string(), url.to_string())
        }
        (None, Some(query)) => {
            if query.trim().is_empty() {
                return Err(problem(
                    Some("query"),
                    "`query` is empty".into(),
                    GOOGLE_HELP,
                ));
            }
            let query: String =
                url::form_urlencoded::byte_serialize(query.trim().as_bytes()).collect();
            (
                format!("{GOOGLE}/maps?q={query}&output=embed"),
                format!("{GOOGLE}/maps/search/?api=1&query={query}"),
            )
        }
    };
    Ok(Frame {
        provider: "Google Maps",
        origin: GOOGLE.into(),
        frame,
        link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(shortcode: &str, args: &[(&str, &str)]) -> Result<Frame, ArgProblem> {
        let args: Args = args.iter().copied().collect();
        frame(shortcode, &args).expect("a shortcode with a frame")
    }

    fn refused(shortcode: &str, args: &[(&str, &str)]) -> (Option<&'static str>, String) {
        let problem = made(shortcode, args).expect_err("arguments that should be refused");
        (problem.arg, problem.message)
    }

    #[test]
    fn booking_pages_become_frames_of_their_own_origin() {
        let calcom = made(
            "booking",
            &[("provider", "calcom"), ("url", "https://cal.com/aim/intro")],
        )
        .unwrap();
        assert_eq!(calcom.frame, "https://cal.com/aim/intro?embed=true");
        assert_eq!(calcom.link, "https://cal.com/aim/intro");
        assert_eq!(calcom.origin, "https://cal.com");
        assert_eq!(calcom.provider, "Cal.com");
        let calendly = made(
            "booking",
            &[
                ("provider", "calendly"),
                ("url", "https://calendly.com/aim/30min?month=2027-01"),
            ],
        )
        .unwrap();
        assert_eq!(
            calendly.frame,
            "https://calendly.com/aim/30min?month=2027-01&embed_type=Inline"
        );
        assert_eq!(calendly.origin, "https://calendly.com");
    }

    #[test]
    fn example_booking_pages_are_placeholders() {
        let page = |url| made("booking", &[("provider", "calcom"), ("url", url)]).unwrap();
        assert!(is_placeholder_booking(&page(
            "https://cal.com/example/intro"
        )));
        assert!(is_placeholder_booking(&page(
            "https://cal.com/your-name/30min"
        )));
        assert!(!is_placeholder_booking(&page(
            "https://cal.com/aim-to-win/intro"
        )));
    }

    #[test]
    fn bad_booking_arguments_are_refused_at_the_argument() {
        let url = |url| [("provider", "calcom"), ("url", url)];
        assert_eq!(
            refused("booking", &url("http://cal.com/aim/intro")).0,
            Some("url")
        );
        assert_eq!(refused("booking", &url("cal.com/aim")).0, Some("url"));
        assert_eq!(
            refused("booking", &url("https://user@cal.com/aim")).0,
            Some("url")
        );
        let (arg, message) = refused("booking", &url("https://calendly.com/aim/intro"));
        assert_eq!(arg, Some("url"));
        assert!(message.contains("is not on Cal.com"), "{message}");
        assert!(
            refused("booking", &url("https://cal.com/"))
                .1
                .contains("home page")
        );
        assert_eq!(
            refused(
                "booking",
                &[("provider", "doodle"), ("url", "https://doodle.com/a")]
            ),
            (
                Some("provider"),
                "`doodle` is not a booking provider".into()
            )
        );
        assert_eq!(refused("booking", &[("url", "https://cal.com/a")]).0, None);
        assert_eq!(refused("booking", &[("provider", "calcom")]).0, None);
    }

    #[test]
    fn an_openstreetmap_place_is_shown_around_a_marker() {
        let map = made("map", &[("lat", "51.5"), ("lon", "-0.125"), ("zoom", "16")]).unwrap();
        assert_eq!(map.origin, "https://www.openstreetmap.org");
        assert!(
            map.frame
                .starts_with("https://www.openstreetmap.org/export/embed.html?bbox="),
            "{}",
            map.frame
        );
        assert!(
            map.frame.ends_with("&layer=mapnik&marker=51.5%2C-0.125"),
            "{}",
            map.frame
        );
        assert_eq!(
            map.link,
            "https://www.openstreetmap.org/?mlat=51.5&mlon=-0.125#map=16/51.5/-0.125"
        );
        // The area is centred on the place and wider than it is tall, as the frame is.
        let Area([west, south, east, north]) = area_around(
            Place {
                lat: 51.5,
                lon: -0.125,
            },
            16,
        );
        assert!(((west + east) / 2.0 + 0.125).abs() < 1e-9);
        assert!(((south + north) / 2.0 - 51.5).abs() < 1e-9);
        assert!(east - west > north - south);
        let area = made("map", &[("bbox", "-0.14, 51.50, -0.12, 51.51")]).unwrap();
        assert_eq!(
            area.frame,
            "https://www.openstreetmap.org/export/embed.html?bbox=-0.14%2C51.5%2C-0.12%2C51.51&layer=mapnik"
        );
    }

    #[test]
    fn bad_map_arguments_are_refused_at_the_argument() {
        assert_eq!(
            refused("map", &[("lat", "91"), ("lon", "0")]).0,
            Some("lat")
        );
        assert_eq!(refused("map", &[("lat", "50")]).0, Some("lat"));
        assert_eq!(
            refused("map", &[("lat", "50"), ("lon", "5"), ("zoom", "20")]).0,
            Some("zoom")
        );
        assert_eq!(refused("map", &[("bbox", "1,2,3")]).0, Some("bbox"));
        assert_eq!(refused("map", &[("bbox", "3,2,1,4")]).0, Some("bbox"));
        assert_eq!(refused("map", &[]).0, None);
        assert_eq!(
            refused("map", &[("provider", "bing"), ("query", "x")]).0,
            Some("provider")
        );
        assert_eq!(refused("map", &[("query", "Big Ben")]).0, Some("query"));
        assert_eq!(
            refused("map", &[("provider", "google"), ("lat", "1")]).0,
            Some("lat")
        );
        let google = |url| [("provider", "google"), ("url", url)];
        assert_eq!(
            refused("map", &google("https://maps.example.com/maps/embed?pb=1")).0,
            Some("url")
        );
        assert_eq!(
            refused("map", &google("https://www.google.com/search?q=a")).0,
            Some("url")
        );
        assert_eq!(refused("map", &[("provider", "google")]).0, None);
    }

    #[test]
    fn a_google_map_is_a_query_or_an_embed_address() {
        let query = made(
            "map",
            &[("provider", "google"), ("query", "Big Ben, London")],
        )
        .unwrap();
        assert_eq!(
            query.frame,
            "https://www.google.com/maps?q=Big+Ben%2C+London&output=embed"
        );
        assert_eq!(
            query.link,
            "https://www.google.com/maps/search/?api=1&query=Big+Ben%2C+London"
        );
        assert_eq!(query.origin, "https://www.google.com");
        let embed = made(
            "map",
            &[
                ("provider", "google"),
                ("url", "https://www.google.com/maps/embed?pb=!1m18"),
            ],
        )
        .unwrap();
        assert_eq!(embed.frame, "https://www.google.com/maps/embed?pb=!1m18");
        assert_eq!(embed.provider, "Google Maps");
    }
}
