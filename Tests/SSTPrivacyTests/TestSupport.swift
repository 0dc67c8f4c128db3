import SSTCore
import SSTPrivacy
import Testing

/// A record id known to be valid.
func recordID(_ text: String) -> RecordID {
    guard let record = RecordID(text) else { fatalError("test record id \"\(text)\" is invalid") }
    return record
}

/// A synthetic record id whose last group is `number` in hex, so ids sort by number.
func recordID(number: Int) -> RecordID {
    let hex = String(number, radix: 16)
    return recordID("00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex)
}

/// A date known to be valid, from `YYYY-MM-DD`.
func civilDate(_ text: String) -> CivilDate {
    guard let date = CivilDate(text) else { fatalError("test date \"\(text)\" is invalid") }
    return date
}

/// The default policy's settings with changes, for rules that depend on them.
func settings(
    validityMonths: Int? = nil,
    childViewFromAge: Int? = nil,
    pupilConsentFromAge: Int? = nil
) -> Policy.Settings {
    var settings = Policy.default.settings
    if let validityMonths { settings.consentValidityMonths = validityMonths }
    if let childViewFromAge { settings.childViewFromAge = childViewFromAge }
    if let pupilConsentFromAge { settings.pupilConsentFromAge = pupilConsentFromAge }
    return settings
}

extension PrivacyFilter.Decision {
    var isAllowed: Bool {
        if case .allow = self { return true }
        return false
    }

    var grant: PrivacyFilter.Grant? {
        if case .allow(_, let grant) = self { return grant }
        return nil
    }

    /// Allowed for `pupil` on `basis`, naming `consent` (nil for legal duty and bookkeeping).
    func allows(pupil: RecordID, basis: Basis, consent: RecordID? = nil) -> Bool {
        guard case .allow(let allowedPupil, let grant) = self else { return false }
        return allowedPupil == pupil && grant.basis == basis && grant.consent == consent
    }

    var reason: String? {
        if case .withhold(let reason) = self { return reason }
        return nil
    }
}
