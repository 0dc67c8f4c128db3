/// The default policy (DESIGN §5), the same bytes as `Protocol/policy/default.json` (a test checks it),
/// so that a node works out of the box; a municipality overrides it with its own file.
extension PolicyLoader {
    public static let defaultPolicyText = #"""
        {
          "format": "sst-policy",
          "version": 1,
          "name": "SST default policy (DESIGN §5)",
          "settings": {"consentValidityMonths": 12, "childViewFromAge": 12, "pupilConsentFromAge": 15, "purgeOnWithdrawal": true},
          "scopes": ["identity", "absence", "school_assessment", "sst_case", "social_support_flag"],
          "entities": {
            "pupil": {
              "personnummer": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "given_name": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "family_name": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "grade": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "class_name": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "school": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "stadsdel": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"},
              "protected_identity": {"school_to_social": ["consent:identity", "legal_duty"], "social_to_school": "never"}
            },
            "guardian": {
              "pupil_id": {"school_to_social": ["consent:identity"], "social_to_school": "never"},
              "given_name": {"school_to_social": ["consent:identity"], "social_to_school": "never"},
              "family_name": {"school_to_social": ["consent:identity"], "social_to_school": "never"},
              "phone": {"school_to_social": ["consent:identity"], "social_to_school": "never"},
              "email": {"school_to_social": ["consent:identity"], "social_to_school": "never"},
              "has_custody": {"school_to_social": ["consent:identity"], "social_to_school": "never"}
            },
            "consent": {
              "pupil_id": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "scopes": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "purpose": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "given_by": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "method": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "valid_from": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "valid_until": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "status": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "recorded_by": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "document_ref": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "refused_by": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "pupil_consent": {"school_to_social": ["administrative"], "social_to_school": "never"},
              "pupil_view": {"school_to_social": "never", "social_to_school": "never"}
            },
            "absence": {
              "pupil_id": {"school_to_social": ["consent:absence"], "social_to_school": "never"},
              "period_start": {"school_to_social": ["consent:absence"], "social_to_school": "never"},
              "period_end": {"school_to_social": ["consent:absence"], "social_to_school": "never"},
              "scheduled_minutes": {"school_to_social": ["consent:absence"], "social_to_school": "never"},
              "excused_minutes": {"school_to_social": ["consent:absence"], "social_to_school": "never"},
              "unexcused_minutes": {"school_to_social": ["consent:absence"], "social_to_school": "never"}
            },
            "school_assessment": {
              "pupil_id": {"school_to_social": ["consent:school_assessment"], "social_to_school": "never"},
              "causes": {"school_to_social": ["consent:school_assessment"], "social_to_school": "never"},
              "summary": {"school_to_social": ["consent:school_assessment"], "social_to_school": "never"}
            },
            "health_note": {
              "pupil_id": {"school_to_social": "never", "social_to_school": "never"},
              "text": {"school_to_social": "never", "social_to_school": "never"}
            },
            "case": {
              "pupil_id": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "category": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "phase": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "concern": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "plan": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "opened_at": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "closed_at": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]}
            },
            "intervention": {
              "case_id": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "kind": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "description": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "starts": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "ends": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "responsible": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]}
            },
            "meeting": {
              "case_id": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "held_at": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "participants": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]},
              "notes": {"school_to_social": ["consent:sst_case"], "social_to_school": ["consent:sst_case"]}
            },
            "social_investigation": {
              "pupil_id": {"school_to_social": "never", "social_to_school": "never"},
              "notes": {"school_to_social": "never", "social_to_school": "never"}
            },
            "social_support": {
              "pupil_id": {"school_to_social": "never", "social_to_school": ["consent:social_support_flag"]},
              "has_ongoing_support": {"school_to_social": "never", "social_to_school": ["consent:social_support_flag"]},
              "decision_notes": {"school_to_social": "never", "social_to_school": "never"}
            },
            "concern_report": {
              "pupil_id": {"school_to_social": ["legal_duty"], "social_to_school": "never"},
              "concern": {"school_to_social": ["legal_duty"], "social_to_school": "never"},
              "reported_by": {"school_to_social": ["legal_duty"], "social_to_school": "never"},
              "reported_at": {"school_to_social": ["legal_duty"], "social_to_school": "never"},
              "received_at": {"school_to_social": "never", "social_to_school": ["legal_duty"]},
              "investigation_opened": {"school_to_social": "never", "social_to_school": ["legal_duty"]}
            },
            "purge_receipt": {
              "consent_id": {"school_to_social": ["administrative"], "social_to_school": ["administrative"]},
              "pupil_id": {"school_to_social": ["administrative"], "social_to_school": ["administrative"]},
              "purged_at": {"school_to_social": ["administrative"], "social_to_school": ["administrative"]},
              "fields": {"school_to_social": ["administrative"], "social_to_school": ["administrative"]},
              "reason": {"school_to_social": ["administrative"], "social_to_school": ["administrative"]}
            }
          }
        }

        """#
}
