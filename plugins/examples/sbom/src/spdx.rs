//! The SPDX 2.3 JSON document.

use serde_json::{Value, json};
use staves_plugin_sdk::Request;

use crate::vdb::Installed;

/// The document for `installed`, with repository commits from the lock.
pub(crate) fn document(name: &str, req: &Request, installed: &[Installed]) -> Value {
    let created = rfc3339(req.build.source_date_epoch);
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    for p in installed {
        let full = format!("{}/{}", p.category, p.pn);
        let locked = req
            .packages
            .iter()
            .find(|l| l.name == full && l.version == p.version);
        let commit = locked.and_then(|l| l.repository_commit.clone());
        let id = spdx_id(&format!("{}-{}-{}", p.category, p.pn, p.version));
        let mut purl = format!(
            "pkg:ebuild/{}/{}@{}?repository={}&slot={}",
            p.category,
            p.pn,
            p.version,
            p.repository,
            p.slot.replace('/', "%2F")
        );
        if let Some(commit) = &commit {
            purl.push_str(&format!("&vcs_commit={commit}"));
        }
        let comment = format!(
            "SLOT={}; USE={}; repository={}{}",
            p.slot,
            p.use_flags.join(" "),
            p.repository,
            commit
                .as_deref()
                .map(|c| format!("@{c}"))
                .unwrap_or_default()
        );
        let mut package = json!({
            "SPDXID": id,
            "name": full,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "comment": comment,
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }],
        });
        if !p.license.is_empty() {
            package["licenseComments"] = json!(format!("Gentoo LICENSE: {}", p.license));
        }
        packages.push(package);
        relationships.push(json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": id,
        }));
    }
    let namespace_key: Vec<String> = installed
        .iter()
        .map(|p| format!("{}/{}-{}", p.category, p.pn, p.version))
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!(
            "https://spdx.staves.invalid/{}/{:016x}",
            spdx_id_part(name),
            fnv1a(namespace_key.join("\n").as_bytes())
        ),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: staves-sbom-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

/// `SPDXRef-` plus the allowed characters (letters, digits, `.`, `-`).
fn spdx_id(text: &str) -> String {
    format!("SPDXRef-Package-{}", spdx_id_part(text))
}

fn spdx_id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A stable 64-bit hash (FNV-1a), enough for a unique document namespace.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `YYYY-MM-DDThh:mm:ssZ` for Unix seconds (proleptic Gregorian calendar).
pub(crate) fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let secs = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}
