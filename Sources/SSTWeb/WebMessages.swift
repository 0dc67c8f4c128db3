import Foundation
import SSTCore
import SSTStore

/// Swedish text for people, in one table: what the page says when the store refuses a request, when an absence
/// file cannot be read, and around sign-in. The store's errors and the import's problems stay in English (the
/// API, the command line, the logs); the page gives each in Swedish by its code and, where one code covers several
/// refusals, by what the English message says, naming the field, record, pupil or date as the English one does.
/// A message the table does not know is shown with a Swedish title and the English text (marked `lang="en"`).
enum WebMessages {
    // MARK: Sign-in and sessions

    static let signInWithoutCSRF =
        "Inloggningsformuläret hade ingen giltig säkerhetskod (det kan ha legat öppet för länge). Försök igen."
    static let notAToken =
        "Det är ingen personalnyckel. En nyckel börjar med sst_ och har 43 tecken till; du får den av nodens "
        + "administratör (sst staff add)."
    static let tokenRefused =
        "Nyckeln gäller inte på den här noden (okänd eller återkallad). Be nodens administratör om en ny."
    static let sessionEnded =
        "Din session har upphört: efter 30 minuter utan aktivitet, efter 8 timmar, när du loggade ut i ett annat "
        + "fönster eller när noden startades om. Logga in igen. Ett formulär som skickades utan giltig session "
        + "sparades inte."
    static let signedOut = "Du är utloggad."
    static let sessionRevoked =
        "Din personalnyckel har återkallats, så du är utloggad. Be nodens administratör om en ny."

    // MARK: The store's refusals

    /// A store error as the page shows it: a title, and the Swedish message (nil when the table does not know
    /// the English one, which is then shown as it is).
    static func storeError(_ error: StoreError) -> (title: String, message: String?) {
        let title = titles[error.code.description] ?? "Det gick inte"
        for rule in storeMessages where rule.code == error.code.description {
            if let parts = match(rule.english, error.message) { return (title, rule.swedish(parts)) }
        }
        return (title, nil)
    }

    static let titles = [
        "notFound": "Finns inte här", "notPermitted": "Inte tillåtet", "notOwner": "Inte tillåtet",
        "noConflict": "Ingen konflikt", "phaseBackwards": "Fasen kan inte flyttas bakåt",
        "consentWithdrawn": "Samtycket är återkallat", "purged": "Uppgiften är gallrad",
        "storageFull": "Disken är full", "invalidValue": "Uppgifterna behöver rättas", "wrongSide": "Fel nod",
        "unknownEntity": "Okänd uppgift", "unknownField": "Okänt fält",
    ]

    /// Per code, the English messages the page may meet and their Swedish text.
    static let storeMessages: [Rule] = [
        Rule("notFound", #"there is no consent (\S+) on this node"#) {
            "Samtycket \($0[1]) finns inte på den här noden."
        },
        Rule("notFound", #"there is no (\w+) (\S+) on this node"#) {
            "\(entity($0[1])) \($0[2]) finns inte på den här noden."
        },
        Rule("notFound", #"(\w+) (\S+) has no phase to reopen"#) { _ in
            "Ärendet har ingen fas att återöppna. Välj en fas först."
        },
        Rule("notPermitted", #"(\w+) is an elevhälsa record, and (.+) is not elevhälsa staff on this node"#) {
            "\(entity($0[1])) hör till elevhälsan, och \($0[2]) hör inte till elevhälsans personal på den här noden."
        },
        Rule("notPermitted", #"(.+) is a mentor of (.*), not of this pupil's class"#) {
            "\($0[1]) är mentor för \($0[2]), inte för den här elevens klass."
        },
        Rule("notPermitted", #"the record is of another stadsdel than (.+)'s \((.*)\)"#) {
            "Uppgiften hör till en annan stadsdel än \(genitive($0[1])) (\($0[2])). Du ser och ändrar bara din stadsdels uppgifter."
        },
        Rule("notPermitted", #"(.+) \((\w+)\) may not (read|write) (\w+) records"#) {
            "\($0[1]) (\(role($0[2]))) får inte \($0[3] == "read" ? "läsa" : "ändra") \(entity($0[4]).lowercased())."
        },
        Rule("notPermitted", #"(.+) \((\w+)\) may not (read|write) what has been shared about a pupil"#) {
            "\($0[1]) (\(role($0[2]))) får inte läsa vad som har delats om en elev."
        },
        Rule("notPermitted", #"this node serves (.+); a pupil cannot be registered at (.+) here"#) {
            "Den här noden är \($0[1]); en elev på \($0[2]) kan inte registreras här."
        },
        Rule("notPermitted", #"(\w+)\.(\w+) names (\w+) (\S+), a record of a pupil registered at (.+), not at (.+)"#) {
            "Fältet ”\($0[2])” i \(entity($0[1]).lowercased()) pekar på \(entity($0[3]).lowercased()) \($0[4]), "
                + "som hör till en elev på \($0[5]), inte på \($0[6])."
        },
        Rule("notOwner", #"consents are recorded at the pupil's school node, not at the hub"#) { _ in
            "Samtycken registreras på elevens skola, inte i hubben. Be skolan registrera, besvara eller återkalla "
                + "samtycket; det kommer hit med synkroniseringen."
        },
        Rule("notOwner", #"a consent is not written field by field.*"#) { _ in
            "Ett samtycke ändras inte fält för fält: det registreras, besvaras och återkallas enligt samtyckesreglerna."
        },
        Rule(
            "notOwner",
            #"(\w+)\.(\w+) is written by (the school|social services); this (hub|school node) may not write it"#
        ) {
            "Fältet ”\($0[2])” i \(entity($0[1]).lowercased()) skrivs av "
                + "\($0[3] == "the school" ? "skolan" : "socialtjänsten"); "
                + "\($0[4] == "hub" ? "hubben" : "skolans nod") får inte ändra det. Värdet kommer hit med synkroniseringen."
        },
        Rule("noConflict", #"(\w+) (\S+) (\w+) has no conflict to resolve"#) {
            "Fältet ”\($0[3])” i \(entity($0[1]).lowercased()) \($0[2]) har ingen konflikt att lösa; "
                + "någon kan redan ha löst den."
        },
        Rule(
            "phaseBackwards",
            #"(\w+) (\S+) (\w+): the case is at (\d+):(\w+) and a phase never moves back to (\d+):(\w+)"#
        ) {
            "Ärendet är i fasen \(phase($0[5])), och en fas flyttas aldrig tillbaka till \(phase($0[7])). "
                + "Återöppna ärendet för att börja omgång \((Int($0[4]) ?? 1) + 1)."
        },
        Rule("consentWithdrawn", #"(consent (\S+) was withdrawn|.*: the consent was withdrawn.*)"#) { _ in
            "Samtycket är återkallat och gäller aldrig igen. Registrera ett nytt samtycke i stället."
        },
        Rule("purged", #"(\w+) (\S+) was purged.*"#) {
            "\(entity($0[1])) \($0[2]) är gallrad; uppgifterna är borta för gott. Skapa en ny post om de behövs igen."
        },
        Rule("invalidValue", #"the pupil has no guardian with custody on record"#) { _ in
            "Eleven har ingen vårdnadshavare med vårdnad registrerad, så samtycket kan inte prövas. Registrera "
                + "vårdnadshavarna först."
        },
        Rule("invalidValue", #"(\S+) is not a guardian of this pupil"#) {
            "\($0[1]) är inte vårdnadshavare för eleven. Välj bland elevens vårdnadshavare."
        },
        Rule("invalidValue", #"the pupil's age is unknown.*"#) { _ in
            "Elevens ålder är okänd (inget personnummer registrerat), så åldersreglerna kan inte tillämpas. "
                + "Registrera elevens personnummer först."
        },
        Rule("invalidValue", #"the pupil is (\d+): from (\d+) the child's view is recorded with the consent"#) {
            "Eleven är \($0[1]) år: från \($0[2]) år skrivs elevens syn in med samtycket. Fyll i ”Elevens syn”."
        },
        Rule("invalidValue", #"the consent would end \((.+)\) before it begins \((.+)\)"#) {
            "Samtycket skulle sluta (\($0[1])) innan det börjar (\($0[2])). Välj ett slutdatum samma dag eller senare."
        },
        Rule("invalidValue", #"a consent needs at least one scope"#) { _ in
            "Välj minst ett område som samtycket gäller."
        },
        Rule("invalidValue", #"unknown consent scope "(.*)""#) {
            "”\($0[1])” är inget område som ett samtycke kan gälla."
        },
        Rule("invalidValue", #"the search "(.*)" is too short"#) {
            "Sökningen ”\($0[1])” är för kort: skriv minst 2 tecken, en del av ett namn, början av ett personnummer "
                + "eller en klass (8B)."
        },
        Rule("invalidValue", #"(\w+)\.(\w+) names (\w+) (\S+), which this node does not hold"#) {
            "Fältet ”\($0[2])” i \(entity($0[1]).lowercased()) pekar på \(entity($0[3]).lowercased()) \($0[4]), "
                + "som inte finns på den här noden."
        },
        Rule("invalidValue", #"(\w+)\.(\w+): "(.*)" is not .+"#) {
            "Värdet ”\($0[3])” passar inte i fältet ”\($0[2])” i \(entity($0[1]).lowercased())."
        },
        Rule("invalidValue", #"(\w+)\.(\w+)(: .+| is not a phase)"#) {
            "Värdet i fältet ”\($0[2])” i \(entity($0[1]).lowercased()) är ogiltigt."
        },
        Rule("invalidValue", #"no fields to write"#) { _ in "Formuläret innehöll inget att spara." },
        Rule("wrongSide", #"absence is imported at the pupil's school node, not at the hub"#) { _ in
            "Frånvaro läses in på elevens skola, inte i hubben."
        },
        Rule("wrongSide", #"the follow-up report is the district's view at the hub.*"#) { _ in
            "Uppföljningen är distriktets översikt i hubben; den här noden är en skola."
        },
        Rule("storageFull", #"the disk holding .*"#) { _ in
            "Disken där noden sparar sina uppgifter är full, så ingenting sparades. Kontakta nodens administratör."
        },
        Rule("unknownEntity", #"there is no entity "(.*)""#) { "Det finns ingen sorts uppgift som heter ”\($0[1])”." },
        Rule("unknownField", #"the entity (\w+) has no field "(.*)""#) {
            "\(entity($0[1])) har inget fält som heter ”\($0[2])”."
        },
    ]

    // MARK: The absence import

    /// A row the import could not take, in Swedish (nil when the table does not know the English message).
    static func importProblem(_ message: String) -> String? {
        for rule in importMessages {
            if let parts = match(rule.english, message) { return rule.swedish(parts) }
        }
        return nil
    }

    static let importMessages: [Rule] = [
        Rule("no personnummer") { _ in "Raden saknar personnummer." },
        Rule(#""(.*)" is not a personnummer.*"#) {
            "”\($0[1])” är inget personnummer (ÅÅÅÅMMDD-NNNN med ett riktigt datum och rätt kontrollsiffra)."
        },
        Rule(#""(.*)" is not a date.*"#) { "”\($0[1])” är inget datum (ÅÅÅÅ-MM-DD)." },
        Rule(#"the period ends \((.+)\) before it begins \((.+)\)"#) {
            "Perioden slutar (\($0[1])) innan den börjar (\($0[2]))."
        },
        Rule(#"(scheduled|excused|unexcused) minutes "(.*)" is not a whole number.*"#) {
            "\(column($0[1])) ”\($0[2])” är inget helt antal minuter (0 eller fler)."
        },
        Rule(#"more minutes absent \((\d+)\) than scheduled \((\d+)\)"#) {
            "Fler minuter frånvaro (\($0[1])) än schemalagd tid (\($0[2]))."
        },
        Rule(#"no pupil with personnummer (.+) at this school node"#) {
            "Ingen elev med personnummer \($0[1]) finns på den här skolan."
        },
        Rule("the file is neither UTF-8 nor Windows-1252 text") { _ in "Filen är varken UTF-8- eller Windows-1252-text."
        },
        Rule("the file is empty.*") { _ in "Filen är tom: den behöver en rubrikrad och en rad per elev och period." },
        Rule("the file is not CSV.*") { _ in "Filen kunde inte läsas som CSV (semikolon- eller kommaseparerad text)." },
        Rule(#"the header names the column "(.*)" twice"#) { "Rubrikraden har kolumnen ”\($0[1])” två gånger." },
        Rule(#"the header row "(.*)" lacks (.+?)( \(not understood: (.+)\))?; nothing was imported.*"#) {
            "Rubrikraden ”\($0[1])” saknar "
                + $0[2].replacingOccurrences(of: " (or från and till)", with: " (eller från och till)")
                + ($0[4].isEmpty ? "" : " (förstods inte: \($0[4]))")
                + ". Kolumnerna heter personnummer; datum (eller från; till); schemalagd tid; giltig frånvaro; "
                + "ogiltig frånvaro, i minuter."
        },
    ]

    // MARK: Helpers

    /// One line of the table: an English message's form (a regular expression over the whole message; for the
    /// store's errors, with its code) and its Swedish text from the captured parts (`$0[1]` is the first group).
    struct Rule: Sendable {
        let code: String
        let english: String
        let swedish: @Sendable ([String]) -> String

        init(_ code: String, _ english: String, _ swedish: @escaping @Sendable ([String]) -> String) {
            self.code = code
            self.english = english
            self.swedish = swedish
        }

        init(_ english: String, _ swedish: @escaping @Sendable ([String]) -> String) {
            self.init("", english, swedish)
        }
    }

    /// The captured groups of `pattern` matched against the whole of `text` (index 0 the whole text; a group
    /// that did not take part is empty), or nil when it does not match.
    static func match(_ pattern: String, _ text: String) -> [String]? {
        guard let regex = try? Regex(pattern), let found = try? regex.wholeMatch(in: text) else { return nil }
        return (0..<found.output.count).map { found.output[$0].substring.map(String.init) ?? "" }
    }

    static func entity(_ name: String) -> String { Labels.entity(name) }

    /// A name in the genitive, Swedish style: "Anna Linds", and "Kurt Kungs" for a name ending in s, x or z.
    static func genitive(_ name: String) -> String {
        ["s", "x", "z"].contains(name.suffix(1).lowercased()) ? name : name + "s"
    }

    static func phase(_ step: String) -> String { Phase.Step(rawValue: step)?.swedishLabel ?? step }

    static func role(_ name: String) -> String {
        ["elevhalsa": "elevhälsa", "sst": "SST-teamet", "mentor": "mentor", "social": "socialtjänsten"][name] ?? name
    }

    static func column(_ name: String) -> String {
        ["scheduled": "Schemalagd tid", "excused": "Giltig frånvaro", "unexcused": "Ogiltig frånvaro"][name] ?? name
    }
}
