//! The fix lines: one `cmd` line (appcmd) and one PowerShell line per finding, for this pool,
//! site or application, each quoted for its own shell.
//!
//! Every name in a configuration file is attacker-controlled: a pool called
//! `x" & del /q C:\* & "` must not turn a copied fix into a second command. All quoting goes
//! through [`quote`], which checks where the value goes and then uses `crate::shell`, the
//! quoting every printed command shares. What cannot be quoted safely for a shell (a `"` or `%` for
//! cmd, a control character anywhere) is not printed: the line says so, in that shell's own
//! comment syntax, without the value. `%windir%` appears only in cmd lines.

use serde::Serialize;

/// A shell a fix line is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// cmd.exe (appcmd, dism).
    Cmd,
    /// Windows PowerShell with the WebAdministration module.
    Powershell,
}

impl Shell {
    /// The same shell as the printed-command module names it.
    pub fn printed(self) -> crate::shell::Shell {
        match self {
            Shell::Cmd => crate::shell::Shell::Cmd,
            Shell::Powershell => crate::shell::Shell::PowerShell,
        }
    }

    /// The name shown before the line.
    pub fn as_str(self) -> &'static str {
        match self {
            Shell::Cmd => "cmd",
            Shell::Powershell => "powershell",
        }
    }
}

/// One fix line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// Its shell.
    pub shell: Shell,
    /// The line.
    pub command: String,
}

/// A value that cannot be quoted safely for a shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unquotable;

/// Where a value goes inside a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A plain argument.
    Argument,
    /// Inside an appcmd or XPath key filter (`[name='...']`, `[@name="..."]`): no quotes,
    /// brackets.
    Key,
    /// A segment of an `IIS:\` provider path: no path separators either.
    PathSegment,
}

/// Quotes `value` for `shell`: the one quoting point of this module.
pub fn quote(shell: Shell, context: Context, value: &str) -> Result<String, Unquotable> {
    if value.chars().any(|c| c.is_control()) {
        return Err(Unquotable);
    }
    let key_bad = |c: char| matches!(c, '\'' | '"' | '[' | ']' | '\u{2018}'..='\u{201F}');
    match context {
        Context::Key if value.chars().any(key_bad) => return Err(Unquotable),
        // -LiteralPath takes brackets and quotes as they are; only separators change the item.
        Context::PathSegment if value.chars().any(|c| c == '\\' || c == '/') => {
            return Err(Unquotable);
        }
        _ => {}
    }
    match shell {
        Shell::Cmd => cmd_quote(value),
        Shell::Powershell => Ok(powershell_quote(value)),
    }
}

/// cmd.exe: the printed-command module's quoting, except that a value it would have to alter
/// (a `"`, a `%` or `!`, which no cmd escape handles in every context) is refused instead: a fix
/// aimed at a different pool than the configuration names is worse than no line.
fn cmd_quote(value: &str) -> Result<String, Unquotable> {
    if !crate::shell::cmd_can_carry(value) {
        return Err(Unquotable);
    }
    Ok(crate::shell::quote(crate::shell::Shell::Cmd, value))
}

/// PowerShell: the printed-command module's single quotes, in which nothing expands.
fn powershell_quote(value: &str) -> String {
    crate::shell::quote(crate::shell::Shell::PowerShell, value)
}

/// A value inside a key filter, without surrounding quotes of its own (the caller writes
/// them); already checked by [`quote`] with [`Context::Key`].
fn key(shell: Shell, value: &str) -> Result<String, Unquotable> {
    quote(shell, Context::Key, value)?;
    Ok(value.to_owned())
}

const APPCMD: &str = "%windir%\\system32\\inetsrv\\appcmd.exe";
const PS_MODULE: &str = "Import-Module WebAdministration";

/// The line shown instead of a fix that cannot be quoted, in the shell's own comment syntax.
fn refused(shell: Shell, what: &str) -> Fix {
    let other = match shell {
        Shell::Cmd => "PowerShell",
        Shell::Powershell => "cmd",
    };
    let command = match shell {
        Shell::Cmd => format!(
            "rem not printed: the {what} holds characters cmd cannot quote safely; see the {other} line or IIS Manager"
        ),
        Shell::Powershell => format!(
            "# not printed: the {what} holds characters that cannot be quoted safely; see the {other} line or IIS Manager"
        ),
    };
    Fix { shell, command }
}

/// Builds both lines; `what` names the value a refusal is about (`pool name`).
pub fn pair(
    what: &str,
    cmd: impl FnOnce() -> Result<String, Unquotable>,
    ps: impl FnOnce() -> Result<String, Unquotable>,
) -> Vec<Fix> {
    vec![
        cmd().map_or_else(
            |_| refused(Shell::Cmd, what),
            |command| Fix {
                shell: Shell::Cmd,
                command,
            },
        ),
        ps().map_or_else(
            |_| refused(Shell::Powershell, what),
            |command| Fix {
                shell: Shell::Powershell,
                command: format!("{PS_MODULE}; {command}"),
            },
        ),
    ]
}

/// A pool change, as appcmd `set apppool` switches and PowerShell properties.
pub struct PoolChange<'a> {
    /// `startMode:AlwaysRunning`-style appcmd switches, without the slash.
    pub appcmd: &'a [&'a str],
    /// (property, PowerShell value expression) pairs.
    pub powershell: &'a [(&'a str, &'a str)],
}

/// `appcmd set apppool` and `Set-ItemProperty IIS:\AppPools\...` for one pool.
pub fn pool(pool: &str, change: &PoolChange<'_>) -> Vec<Fix> {
    pair(
        "pool name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, pool)?;
            let switches: Vec<String> = change.appcmd.iter().map(|s| format!("/{s}")).collect();
            Ok(format!(
                "{APPCMD} set apppool /apppool.name:{name} {}",
                switches.join(" ")
            ))
        },
        || {
            let path = pool_path(pool)?;
            Ok(change
                .powershell
                .iter()
                .map(|(name, value)| {
                    format!("Set-ItemProperty -LiteralPath {path} -Name {name} -Value {value}")
                })
                .collect::<Vec<_>>()
                .join("; "))
        },
    )
}

fn pool_path(pool: &str) -> Result<String, Unquotable> {
    quote(Shell::Powershell, Context::PathSegment, pool)?;
    Ok(powershell_quote(&format!("IIS:\\AppPools\\{pool}")))
}

/// The `IIS:\Sites\Site\app` path of an application (or of the site for `/`).
fn app_path(site: &str, app: &str) -> Result<String, Unquotable> {
    quote(Shell::Powershell, Context::PathSegment, site)?;
    let mut path = format!("IIS:\\Sites\\{site}");
    for segment in app.split('/').filter(|s| !s.is_empty()) {
        quote(Shell::Powershell, Context::PathSegment, segment)?;
        path.push('\\');
        path.push_str(segment);
    }
    Ok(powershell_quote(&path))
}

/// `preloadEnabled=true` on one application.
pub fn preload(site: &str, app: &str) -> (Result<String, Unquotable>, Result<String, Unquotable>) {
    let cmd = quote(Shell::Cmd, Context::Argument, &format!("{site}{app}"))
        .map(|name| format!("{APPCMD} set app {name} /preloadEnabled:true"));
    let ps = if app == "/" {
        quote(Shell::Powershell, Context::Key, site).map(|_| {
            format!(
                "Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter {} -Name preloadEnabled -Value $true",
                powershell_quote(&format!(
                    "system.applicationHost/sites/site[@name=\"{site}\"]/application[@path=\"/\"]"
                ))
            )
        })
    } else {
        app_path(site, app)
            .map(|p| format!("Set-ItemProperty -LiteralPath {p} -Name preloadEnabled -Value $true"))
    };
    (cmd, ps)
}

/// Joins several lines of one shell into one line (`&` in cmd, `;` in PowerShell).
pub fn join(parts: Vec<Result<String, Unquotable>>, shell: Shell) -> Result<String, Unquotable> {
    let lines = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(lines.join(match shell {
        Shell::Cmd => " & ",
        Shell::Powershell => "; ",
    }))
}

/// The periodic recycle switched off, and a schedule entry at a quiet time instead.
pub fn recycle_schedule(pool: &str) -> Vec<Fix> {
    pair(
        "pool name",
        || {
            let k = key(Shell::Cmd, pool)?;
            let time = quote(
                Shell::Cmd,
                Context::Argument,
                &format!("/[name='{k}'].recycling.periodicRestart.time:00:00:00"),
            )?;
            let schedule = quote(
                Shell::Cmd,
                Context::Argument,
                &format!("/+[name='{k}'].recycling.periodicRestart.schedule.[value='03:00:00']"),
            )?;
            Ok(format!(
                "{APPCMD} set config -section:system.applicationHost/applicationPools {time} /commit:apphost & {APPCMD} set config -section:system.applicationHost/applicationPools {schedule} /commit:apphost"
            ))
        },
        || {
            let path = pool_path(pool)?;
            Ok(format!(
                "Set-ItemProperty -LiteralPath {path} -Name recycling.periodicRestart.time -Value ([TimeSpan]::Zero); New-ItemProperty -LiteralPath {path} -Name recycling.periodicRestart.schedule -Value @{{value='03:00:00'}}"
            ))
        },
    )
}

/// A farm's protocol timeout.
pub fn farm_timeout(farm: &str, timeout: &str) -> Vec<Fix> {
    pair(
        "farm name",
        || {
            let k = key(Shell::Cmd, farm)?;
            let arg = quote(
                Shell::Cmd,
                Context::Argument,
                &format!("/[name='{k}'].applicationRequestRouting.protocol.timeout:{timeout}"),
            )?;
            Ok(format!(
                "{APPCMD} set config -section:webFarms {arg} /commit:apphost"
            ))
        },
        || {
            let k = key(Shell::Powershell, farm)?;
            let filter = powershell_quote(&format!(
                "webFarms/webFarm[@name=\"{k}\"]/applicationRequestRouting/protocol"
            ));
            Ok(format!(
                "Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter {filter} -Name timeout -Value '{timeout}'"
            ))
        },
    )
}

/// The server proxy's timeout.
pub fn proxy_timeout(timeout: &str) -> Vec<Fix> {
    pair(
        "value",
        || {
            Ok(format!(
                "{APPCMD} set config -section:system.webServer/proxy /timeout:\"{timeout}\" /commit:apphost"
            ))
        },
        || {
            Ok(format!(
                "Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/proxy' -Name timeout -Value '{timeout}'"
            ))
        },
    )
}

/// A site attribute (`traceFailedRequestsLogging.enabled:true`), with its PowerShell value.
pub fn site_attribute(site: &str, attribute: &str, value: &str, ps_value: &str) -> Vec<Fix> {
    pair(
        "site name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, site)?;
            Ok(format!(
                "{APPCMD} set site {name} /{attribute}:{value} /commit:apphost"
            ))
        },
        || {
            let path = app_path(site, "/")?;
            Ok(format!(
                "Set-ItemProperty -LiteralPath {path} -Name {attribute} -Value {ps_value}"
            ))
        },
    )
}

/// Where a change of a site-level section is written: the site's web.config, or
/// applicationHost.config `<location>` when that is where the value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// The site's web.config.
    WebConfig,
    /// applicationHost.config.
    AppHost,
}

/// A FREB rule's setting: `traceFailedRequests/add[@path=P]/<element>@<attribute>`.
pub fn freb_rule(
    site: &str,
    rule: &str,
    element: &str,
    attribute: &str,
    value: &str,
    commit: Commit,
) -> Vec<Fix> {
    pair(
        "site or rule name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, site)?;
            let k = key(Shell::Cmd, rule)?;
            let arg = quote(
                Shell::Cmd,
                Context::Argument,
                &format!("/[path='{k}'].{element}.{attribute}:{value}"),
            )?;
            let commit = match commit {
                Commit::AppHost => " /commit:apphost",
                Commit::WebConfig => "",
            };
            Ok(format!(
                "{APPCMD} set config {name} -section:system.webServer/tracing/traceFailedRequests {arg}{commit}"
            ))
        },
        || {
            let k = key(Shell::Powershell, rule)?;
            let filter = powershell_quote(&format!(
                "system.webServer/tracing/traceFailedRequests/add[@path=\"{k}\"]/{element}"
            ));
            let target = ps_target(site, commit)?;
            Ok(format!(
                "Set-WebConfigurationProperty {target} -Filter {filter} -Name {attribute} -Value {}",
                powershell_quote(value)
            ))
        },
    )
}

/// A new trace area on a FREB rule.
pub fn freb_add_area(site: &str, rule: &str, commit: Commit) -> Vec<Fix> {
    pair(
        "site or rule name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, site)?;
            let k = key(Shell::Cmd, rule)?;
            let arg = quote(
                Shell::Cmd,
                Context::Argument,
                &format!(
                    "/+[path='{k}'].traceAreas.[provider='WWW Server',areas='Rewrite,RequestRouting',verbosity='Verbose']"
                ),
            )?;
            let commit = match commit {
                Commit::AppHost => " /commit:apphost",
                Commit::WebConfig => "",
            };
            Ok(format!(
                "{APPCMD} set config {name} -section:system.webServer/tracing/traceFailedRequests {arg}{commit}"
            ))
        },
        || {
            let k = key(Shell::Powershell, rule)?;
            let filter = powershell_quote(&format!(
                "system.webServer/tracing/traceFailedRequests/add[@path=\"{k}\"]/traceAreas"
            ));
            let target = ps_target(site, commit)?;
            Ok(format!(
                "Add-WebConfigurationProperty {target} -Filter {filter} -Name '.' -Value @{{provider='WWW Server';areas='Rewrite,RequestRouting';verbosity='Verbose'}}"
            ))
        },
    )
}

fn ps_target(site: &str, commit: Commit) -> Result<String, Unquotable> {
    Ok(match commit {
        Commit::AppHost => format!(
            "-PSPath 'MACHINE/WEBROOT/APPHOST' -Location {}",
            quote(Shell::Powershell, Context::Argument, site)?
        ),
        Commit::WebConfig => format!(
            "-PSPath {}",
            quote(
                Shell::Powershell,
                Context::Argument,
                &format!("MACHINE/WEBROOT/APPHOST/{site}")
            )?
        ),
    })
}

/// Unlocks a section for a location, so that its web.config may set it.
pub fn unlock(location: &str, section: &str) -> Vec<Fix> {
    pair(
        "site or application name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, location)?;
            Ok(format!(
                "{APPCMD} unlock config {name} -section:{section} /commit:apphost"
            ))
        },
        || {
            let loc = quote(Shell::Powershell, Context::Argument, location)?;
            Ok(format!(
                "Set-WebConfiguration -PSPath 'MACHINE/WEBROOT/APPHOST' -Location {loc} -Filter '{section}' -Metadata overrideMode -Value Allow"
            ))
        },
    )
}

/// A Windows feature: its dism name and its Install-WindowsFeature name.
pub fn feature(dism: &str, server_manager: &str) -> Vec<Fix> {
    vec![
        Fix {
            shell: Shell::Cmd,
            command: format!("dism /online /enable-feature /featurename:{dism} /all"),
        },
        Fix {
            shell: Shell::Powershell,
            command: format!("Install-WindowsFeature {server_manager}"),
        },
    ]
}

/// A new application pool with this name.
pub fn add_pool(pool: &str) -> Vec<Fix> {
    pair(
        "pool name",
        || {
            let name = quote(Shell::Cmd, Context::Argument, pool)?;
            Ok(format!("{APPCMD} add apppool /name:{name}"))
        },
        || {
            let name = quote(Shell::Powershell, Context::PathSegment, pool)?;
            Ok(format!("New-WebAppPool -Name {name}"))
        },
    )
}

/// A time span in whole minutes, at least one, as IIS writes it.
pub fn timespan_minutes(seconds: f64) -> String {
    let minutes = (seconds / 60.0).ceil().max(1.0) as u64;
    format!("{:02}:{:02}:00", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "a\" & del /q C:\\* & \"",
        "100%path%",
        "x!y!",
        "o'brien",
        "it\u{2019}s",
        "$(Remove-Item C:\\ -Recurse)",
        "line\nbreak",
        "`whoami`",
    ];

    #[test]
    fn cmd_refuses_what_it_cannot_quote() {
        assert_eq!(
            quote(Shell::Cmd, Context::Argument, "Orders & Co").unwrap(),
            "\"Orders & Co\""
        );
        for bad in ["a\"b", "100%path%", "x!y", "a\nb"] {
            assert!(
                quote(Shell::Cmd, Context::Argument, bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn powershell_single_quotes_double_every_quote_kind() {
        assert_eq!(
            quote(Shell::Powershell, Context::Argument, "o'brien").unwrap(),
            "'o''brien'"
        );
        assert_eq!(
            quote(Shell::Powershell, Context::Argument, "it\u{2019}s").unwrap(),
            "'it\u{2019}\u{2019}s'"
        );
        assert_eq!(
            quote(Shell::Powershell, Context::Argument, "$(calc)").unwrap(),
            "'$(calc)'"
        );
    }

    #[test]
    fn hostile_pool_names_never_escape_their_quotes() {
        let change = PoolChange {
            appcmd: &["startMode:AlwaysRunning"],
            powershell: &[("startMode", "'AlwaysRunning'")],
        };
        for name in HOSTILE {
            for fix in pool(name, &change)
                .into_iter()
                .chain(recycle_schedule(name))
                .chain(farm_timeout(name, "00:02:00"))
                .chain(add_pool(name))
            {
                assert!(!fix.command.contains('\n'), "{fix:?}");
                match fix.shell {
                    Shell::Cmd => {
                        if fix.command.starts_with("rem ") {
                            assert!(!fix.command.contains(name), "{fix:?}");
                        } else {
                            assert_cmd_quoted(&fix.command);
                        }
                    }
                    Shell::Powershell => {
                        assert!(!fix.command.contains("%windir%"), "{fix:?}");
                        assert_ps_quoted(&fix.command, name);
                    }
                }
            }
        }
    }

    /// Outside double quotes, a cmd line holds no `&` but the joining ` & `.
    fn assert_cmd_quoted(line: &str) {
        let mut inside = false;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'"' => inside = !inside,
                b'&' if !inside => {
                    assert!(
                        i > 0 && bytes[i - 1] == b' ' && bytes.get(i + 1) == Some(&b' '),
                        "{line}"
                    );
                }
                b'|' | b'<' | b'>' | b'%' if !inside && !line[..i].ends_with("%windir") => {
                    assert!(line[i..].starts_with("%windir%") || b != b'%', "{line}");
                }
                _ => {}
            }
        }
        assert!(!inside, "unbalanced quotes: {line}");
    }

    /// The hostile text only ever appears inside a single-quoted PowerShell string.
    fn assert_ps_quoted(line: &str, name: &str) {
        if line.contains("# not printed") {
            assert!(!line.contains(name), "{line}");
            return;
        }
        let quoted = powershell_quote(name);
        let inner = &quoted[1..quoted.len() - 1];
        assert!(line.contains(inner), "{line}");
    }

    #[test]
    fn preload_of_a_root_application_uses_a_filter() {
        let (cmd, ps) = preload("Shop", "/");
        assert_eq!(
            cmd.unwrap(),
            "%windir%\\system32\\inetsrv\\appcmd.exe set app \"Shop/\" /preloadEnabled:true"
        );
        assert!(ps.unwrap().contains("application[@path=\"/\"]"));
        let (_, ps) = preload("Default Web Site", "/orders");
        assert_eq!(
            ps.unwrap(),
            "Set-ItemProperty -LiteralPath 'IIS:\\Sites\\Default Web Site\\orders' -Name preloadEnabled -Value $true"
        );
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(timespan_minutes(120.0), "00:02:00");
        assert_eq!(timespan_minutes(121.0), "00:03:00");
        assert_eq!(timespan_minutes(5.0), "00:01:00");
    }
}
