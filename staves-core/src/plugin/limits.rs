//! Resource limits of one plugin run.

use std::time::Duration;

use super::PluginError;

/// The limits a plugin runs under. [`Limits::default`] is the documented
/// default; [`Limits::with_overrides`] reads a per-plugin `limits` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory, in bytes (default 512 MiB; wasm32 cannot exceed 4 GiB).
    pub memory_bytes: u64,
    /// Deterministic CPU budget in wasmtime fuel units (default 2×10^11,
    /// roughly 10–20 s of pure computation).
    pub fuel: u64,
    /// Wall-clock limit, enforced by epoch interruption (default 300 s).
    pub timeout: Duration,
    /// The most the plugin may write to stdout (default 64 MiB).
    pub stdout_bytes: usize,
    /// The most the plugin may write to stderr (default 1 MiB).
    pub stderr_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            memory_bytes: 512 << 20,
            fuel: 200_000_000_000,
            timeout: Duration::from_secs(300),
            stdout_bytes: 64 << 20,
            stderr_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// The defaults with the keys of a `limits` table applied:
    /// `memory = "1GiB"` (units B, KiB, MiB, GiB), `fuel = 1e12` (an integer
    /// or a float), `timeout = "10m"` (units ms, s, m). Unknown keys and bad
    /// values are errors naming the plugin and the key.
    pub fn with_overrides(plugin: &str, table: &toml::Table) -> Result<Limits, PluginError> {
        let mut limits = Limits::default();
        let bad = |key: &str, message: String| PluginError::Limits {
            name: plugin.to_owned(),
            key: key.to_owned(),
            message,
        };
        for (key, value) in table {
            match key.as_str() {
                "memory" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| bad(key, "expected a string such as \"1GiB\"".into()))?;
                    limits.memory_bytes = parse_size(text).map_err(|m| bad(key, m))?;
                    if limits.memory_bytes > 4 << 30 {
                        return Err(bad(key, "wasm32 plugins cannot use more than 4GiB".into()));
                    }
                }
                "fuel" => {
                    limits.fuel = match value {
                        toml::Value::Integer(n) if *n > 0 => *n as u64,
                        toml::Value::Float(f) if *f >= 1.0 && *f < 1.8e19 => *f as u64,
                        _ => {
                            return Err(bad(key, "expected a positive number such as 1e12".into()));
                        }
                    }
                }
                "timeout" => {
                    let text = value
                        .as_str()
                        .ok_or_else(|| bad(key, "expected a string such as \"10m\"".into()))?;
                    limits.timeout = parse_duration(text).map_err(|m| bad(key, m))?;
                }
                _ => {
                    return Err(bad(
                        key,
                        "unknown limit; the limits are memory, fuel and timeout".into(),
                    ));
                }
            }
        }
        Ok(limits)
    }
}

fn split_number(text: &str) -> Result<(u64, &str), String> {
    let digits = text.trim().bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.trim().split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    Ok((number, unit.trim()))
}

fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text)?;
    let factor: u64 = match unit {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`; use B, KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is out of range"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text)?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        _ => return Err(format!("unknown unit `{unit}` in `{text}`; use ms, s or m")),
    };
    if duration.is_zero() {
        return Err(format!("`{text}` is zero"));
    }
    Ok(duration)
}
