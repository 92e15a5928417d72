//! Fitting text to a terminal: column widths chosen so that every token fits, ellipses
//! instead of words broken in the middle, paragraphs wrapped at spaces, and the short names
//! tables use for long module names and error codes.
//!
//! comfy-table's dynamic arrangement wraps a cell wherever the column ends, which splits
//! `ApplicationRequestRouting` into `ApplicationRequestRou|ting` at 80 columns. Tables here
//! are laid out before comfy-table sees them: each column gets a width, columns a narrow
//! terminal cannot hold are left out (the least useful first), every cell is cut to its width
//! with `…`, and comfy-table only draws the borders.

use chrono::TimeDelta;
use unicode_width::UnicodeWidthStr;

use crate::codes;
use crate::model::ErrorCode;

/// The width tables take when standard output is a pipe or a file: readable in a pager and
/// in a mail, and the same on every machine.
pub const PIPE_WIDTH: usize = 120;

/// The short name a table shows for a module; CSV, JSON and `--wide` keep the full one.
/// The list is documented in the README ("Short names in tables").
pub fn short_module(module: &str) -> &str {
    match module {
        "ApplicationRequestRouting" => "ARR",
        "AspNetCoreModuleV2" => "ANCM",
        "AspNetCoreModule" => "ANCM v1",
        "ManagedPipelineHandler" => "ASP.NET",
        "RequestFilteringModule" => "RequestFiltering",
        "IIS Web Core" => "Core",
        "FastCgiModule" => "FastCGI",
        "RewriteModule" => "Rewrite",
        "StaticFileModule" => "StaticFile",
        "httpPlatformHandler" => "HttpPlatform",
        "ConfigurationValidationModule" => "ConfigValidation",
        "IsapiModule" => "ISAPI",
        "ProtocolSupportModule" => "ProtocolSupport",
        other => other,
    }
}

/// An error code as a table shows it: its name without `ERROR_` (`WINHTTP_TIMEOUT`), or its
/// hex value when it has no name; `0` when the module chose the status itself.
pub fn short_code(code: Option<ErrorCode>) -> String {
    match code {
        None => String::new(),
        Some(c) if c.is_success() => "0".to_owned(),
        Some(c) => match codes::error_name(c) {
            Some(name) => name.strip_prefix("ERROR_").unwrap_or(name).to_owned(),
            None => c.to_string(),
        },
    }
}

/// `3 d 4 h`, `2 h 5 min`, `12 min`, `40 s`: a span as a person says it, to the two largest
/// units.
pub fn span(d: TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Columns of the terminal `text` takes.
pub fn width(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// `text` cut to `max` columns, ending in `…` when it was longer.
pub fn ellipsis(text: &str, max: usize) -> String {
    if UnicodeWidthStr::width(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Every line of a cell cut to `max` columns.
pub fn fit_lines(text: &str, max: usize) -> String {
    text.lines()
        .map(|line| ellipsis(line, max))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A paragraph wrapped at spaces to `width` columns, each line after `indent`; a token
/// longer than a line stays whole (a command or a path must not be cut in two).
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let options = textwrap::Options::new(width.max(20))
        .initial_indent(indent)
        .subsequent_indent(indent)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|line| line.into_owned())
        .collect()
}

/// One column to lay out.
#[derive(Debug, Clone)]
pub struct Column {
    /// Heading (most are fixed words; a time column names its zone).
    pub header: std::borrow::Cow<'static, str>,
    /// Cell texts, one per row (lines apart with `\n`).
    pub cells: Vec<String>,
    /// Narrowest width it may be cut to with `…`; its natural width when it must not be cut.
    pub min: usize,
    /// Lower is kept longer when the terminal is narrow; 0 is never left out.
    pub priority: u8,
    /// Numbers are aligned right.
    pub right: bool,
}

impl Column {
    /// A column whose cells are never cut.
    pub fn whole(
        header: impl Into<std::borrow::Cow<'static, str>>,
        cells: Vec<String>,
        priority: u8,
    ) -> Column {
        let header = header.into();
        let natural = natural(&header, &cells);
        Column {
            header,
            cells,
            min: natural,
            priority,
            right: false,
        }
    }

    /// A column that may be cut to `min` columns.
    pub fn cut(
        header: impl Into<std::borrow::Cow<'static, str>>,
        cells: Vec<String>,
        min: usize,
        priority: u8,
    ) -> Column {
        let header = header.into();
        let natural = natural(&header, &cells);
        let header_width = UnicodeWidthStr::width(header.as_ref());
        Column {
            header,
            cells,
            min: min.min(natural).max(header_width.min(min)),
            priority,
            right: false,
        }
    }

    /// Aligned right.
    pub fn right(mut self) -> Column {
        self.right = true;
        self
    }

    fn natural(&self) -> usize {
        natural(&self.header, &self.cells)
    }
}

fn natural(header: &str, cells: &[String]) -> usize {
    cells
        .iter()
        .map(|c| width(c))
        .chain([UnicodeWidthStr::width(header)])
        .max()
        .unwrap_or(0)
}

/// The columns kept and their widths, so that the columns and their separators fit in
/// `total`: `sep` is what each column costs besides its text (borders, padding).
///
/// Columns are left out from the highest priority number down until the narrowest layout
/// fits; the width left is then given back to the cut columns, the most useful first.
pub fn fit(columns: &[Column], total: usize, sep: usize, base: usize) -> Vec<(usize, usize)> {
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let cost = |kept: &[usize], w: &dyn Fn(&Column) -> usize| -> usize {
        base + kept.iter().map(|&i| w(&columns[i]) + sep).sum::<usize>()
    };
    while cost(&kept, &|c| c.min) > total {
        let Some(pos) = kept
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].priority > 0)
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
            .map(|(pos, _)| pos)
        else {
            break;
        };
        kept.remove(pos);
    }
    let mut widths: Vec<(usize, usize)> = kept.iter().map(|&i| (i, columns[i].min)).collect();
    let mut spare = total.saturating_sub(cost(&kept, &|c| c.min));
    // The most useful columns get the room first.
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&n| (columns[widths[n].0].priority, n));
    for n in order {
        let (i, w) = &mut widths[n];
        let more = columns[*i].natural() - *w;
        let given = more.min(spare);
        *w += given;
        spare -= given;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(TimeDelta::seconds(40)), "40 s");
        assert_eq!(span(TimeDelta::minutes(12)), "12 min");
        assert_eq!(span(TimeDelta::minutes(125)), "2 h 5 min");
        assert_eq!(
            span(TimeDelta::hours(11) + TimeDelta::minutes(49)),
            "11 h 49 min"
        );
        assert_eq!(span(TimeDelta::hours(76)), "3 d 4 h");
        assert_eq!(span(TimeDelta::seconds(446_537_520)), "5168 d 6 h");
    }

    #[test]
    fn ellipsis_cuts_to_the_width() {
        assert_eq!(ellipsis("/orders/api/cart", 8), "/orders…");
        assert_eq!(ellipsis("/a", 8), "/a");
        assert_eq!(width(&ellipsis("/orders/api/cart", 8)), 8);
    }

    #[test]
    fn wrap_never_breaks_a_token() {
        let lines = wrap("set startMode=\"AlwaysRunning\" on the pool", 12, "   ");
        assert!(
            lines
                .iter()
                .any(|l| l.trim() == "startMode=\"AlwaysRunning\"")
        );
        assert!(lines.iter().all(|l| l.starts_with("   ")));
    }

    #[test]
    fn narrow_terminals_drop_the_least_useful_columns_first() {
        let cols = vec![
            Column::whole("status", vec!["502.3".into()], 0),
            Column::cut("url", vec!["/orders/api/cart/items".into()], 8, 0),
            Column::whole("servers", vec!["ARR01, WEB01".into()], 2),
            Column::whole("seen", vec!["03-11 13:10 → 19:05".into()], 1),
        ];
        let all = fit(&cols, 200, 3, 1);
        assert_eq!(all.len(), 4);
        assert_eq!(all[1].1, 22);
        let narrow = fit(&cols, 45, 3, 1);
        let kept: Vec<usize> = narrow.iter().map(|(i, _)| *i).collect();
        assert_eq!(kept, [0, 1, 3]);
        let used: usize = 1 + narrow.iter().map(|(_, w)| w + 3).sum::<usize>();
        assert!(used <= 45, "{used}");
    }
}
