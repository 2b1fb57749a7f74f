//! The catalogue of deliberate deviations the reference server can be started with.
//!
//! Each [`Deviation`] breaks exactly one documented Rocket.Chat rule, so a conformance suite
//! can prove that its cases notice the break. This module owns only the names, the
//! descriptions and the split between [`Deviation::ALL`] (deviations the case suite is proved
//! to catch) and [`Deviation::AWAITING_CASES`] (deviations whose cases are still being
//! written; none at present); the check for each deviation lives at the one place in the
//! server where the rule itself lives (mostly `invite.rs`). It must not contain behaviour.

use std::fmt;
use std::str::FromStr;

use super::ReferenceError;

/// One deliberate break of a Rocket.Chat rule (see [`Deviation::description`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Deviation {
    /// `add-user-to-joined-room` authorises callers that are not members of the room.
    IgnoreMembershipForJoinedRoom,
    /// `add-user-to-any-c-room` / `add-user-to-any-p-room` also demand membership.
    RequireMembershipForAnyGrant,
    /// `add-user-to-any-c-room` is never consulted.
    IgnoreAnyCGrant,
    /// `add-user-to-any-p-room` is never consulted.
    IgnoreAnyPGrant,
    /// Room roles (owner, moderator, leader) do not count for `add-user-to-joined-room`.
    IgnoreRoomRoles,
    /// The invite permission check runs before the invitee list is resolved.
    PermissionBeforeInvitees,
    /// `error-not-allowed` from the invite endpoints is answered with status 403.
    NotAllowedAs403,
    /// channels.invite answers an unresolvable invitee list with the proper
    /// `error-empty-invite-list` instead of the swapped fields.
    UnswappedEmptyList,
    /// channels.invite without any room key answers `error-room-param-not-provided`.
    RoomParamErrorOnChannels,
    /// The invite success body carries the room under `room` instead of `channel`/`group`.
    WrongRoomKey,
    /// Room objects carry `msgs` as a string.
    MsgsAsString,
    /// Invites answer 200 but create no subscription for the invitee.
    NoSubscription,
    /// Inviting an existing member subscribes them a second time.
    DuplicateSubscription,
    /// Adding a user by invite leaves the room's `usersCount` unchanged.
    UsersCountNotUpdated,
    /// Unauthenticated requests are answered with 400 instead of 401.
    UnauthenticatedAs400,
    /// Deactivating a user keeps their login tokens valid.
    AcceptDeactivatedToken,
    /// Of a bulk invite only the first resolved user is added.
    BulkFirstOnly,
    /// An unknown invitee fails the invite with `error-user-not-found`.
    UnknownInviteeFails,
    /// channels.invite accepts archived channels.
    ArchivedChannelAccepted,
    /// channels.invite accepts direct-message rooms and adds the user.
    DirectRoomAccepted,
    /// groups.invite refuses archived groups with `error-room-archived`.
    GroupsArchivedRejected,
    /// The invite endpoints refuse input outside their documented request contract with
    /// `error-invalid-params` instead of the line's incidental answer.
    IncidentalAnswers,
    /// The invite permission refusal says `error-action-not-allowed`.
    NotAllowedErrorType,
    /// The invite's ban check is skipped: a banned user is added.
    BannedUserAdded,
    /// A user who was kicked or left is not added again by a later invite.
    KickedUserNotReinvitable,
    /// Concurrent invites of one user can each insert a subscription.
    ConcurrentInvitesDuplicate,
    /// Invites record no `au` / `added-user-to-team` message and leave `msgs` alone.
    NoAddedUserMessage,
    /// Invites into a team's main room are refused with `error-not-allowed`.
    TeamMainRoomRefused,
}

impl Deviation {
    /// Every deviation, in declaration order.
    pub const ALL: &[Deviation] = &[
        Deviation::IgnoreMembershipForJoinedRoom,
        Deviation::RequireMembershipForAnyGrant,
        Deviation::IgnoreAnyCGrant,
        Deviation::IgnoreAnyPGrant,
        Deviation::IgnoreRoomRoles,
        Deviation::PermissionBeforeInvitees,
        Deviation::NotAllowedAs403,
        Deviation::UnswappedEmptyList,
        Deviation::RoomParamErrorOnChannels,
        Deviation::WrongRoomKey,
        Deviation::MsgsAsString,
        Deviation::NoSubscription,
        Deviation::DuplicateSubscription,
        Deviation::UsersCountNotUpdated,
        Deviation::UnauthenticatedAs400,
        Deviation::AcceptDeactivatedToken,
        Deviation::BulkFirstOnly,
        Deviation::UnknownInviteeFails,
        Deviation::ArchivedChannelAccepted,
        Deviation::DirectRoomAccepted,
        Deviation::GroupsArchivedRejected,
        Deviation::IncidentalAnswers,
        Deviation::NotAllowedErrorType,
        Deviation::BannedUserAdded,
        Deviation::KickedUserNotReinvitable,
        Deviation::ConcurrentInvitesDuplicate,
        Deviation::NoAddedUserMessage,
        Deviation::TeamMainRoomRefused,
    ];

    /// Deviations that `--deviate` and `--list-deviations` know but the mutation run does not
    /// iterate yet, because no case catches them yet; move each into [`Deviation::ALL`] once
    /// one does. The membership surface's (bans, kicks, concurrency, messages, teams) moved
    /// there with their cases.
    pub const AWAITING_CASES: &[Deviation] = &[];

    /// Every deviation the server offers: [`Deviation::ALL`], then
    /// [`Deviation::AWAITING_CASES`].
    pub fn every() -> impl Iterator<Item = Deviation> {
        Deviation::ALL
            .iter()
            .chain(Deviation::AWAITING_CASES)
            .copied()
    }

    /// The kebab-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Deviation::IgnoreMembershipForJoinedRoom => "ignore-membership-for-joined-room",
            Deviation::RequireMembershipForAnyGrant => "require-membership-for-any-grant",
            Deviation::IgnoreAnyCGrant => "ignore-any-c-grant",
            Deviation::IgnoreAnyPGrant => "ignore-any-p-grant",
            Deviation::IgnoreRoomRoles => "ignore-room-roles",
            Deviation::PermissionBeforeInvitees => "permission-before-invitees",
            Deviation::NotAllowedAs403 => "not-allowed-as-403",
            Deviation::UnswappedEmptyList => "unswapped-empty-list",
            Deviation::RoomParamErrorOnChannels => "room-param-error-on-channels",
            Deviation::WrongRoomKey => "wrong-room-key",
            Deviation::MsgsAsString => "msgs-as-string",
            Deviation::NoSubscription => "no-subscription",
            Deviation::DuplicateSubscription => "duplicate-subscription",
            Deviation::UsersCountNotUpdated => "userscount-not-updated",
            Deviation::UnauthenticatedAs400 => "unauthenticated-as-400",
            Deviation::AcceptDeactivatedToken => "accept-deactivated-token",
            Deviation::BulkFirstOnly => "bulk-first-only",
            Deviation::UnknownInviteeFails => "unknown-invitee-fails",
            Deviation::ArchivedChannelAccepted => "archived-channel-accepted",
            Deviation::DirectRoomAccepted => "direct-room-accepted",
            Deviation::GroupsArchivedRejected => "groups-archived-rejected",
            Deviation::IncidentalAnswers => "incidental-answers",
            Deviation::NotAllowedErrorType => "not-allowed-error-type",
            Deviation::BannedUserAdded => "banned-user-added",
            Deviation::KickedUserNotReinvitable => "kicked-user-not-reinvitable",
            Deviation::ConcurrentInvitesDuplicate => "concurrent-invites-duplicate",
            Deviation::NoAddedUserMessage => "no-added-user-message",
            Deviation::TeamMainRoomRefused => "team-main-room-refused",
        }
    }

    /// One line saying which rule the deviation breaks.
    pub fn description(self) -> &'static str {
        match self {
            Deviation::IgnoreMembershipForJoinedRoom => {
                "add-user-to-joined-room authorises invites by callers who are not members of the room"
            }
            Deviation::RequireMembershipForAnyGrant => {
                "add-user-to-any-c-room / add-user-to-any-p-room only authorise members (as the docs literally say)"
            }
            Deviation::IgnoreAnyCGrant => "add-user-to-any-c-room never authorises an invite",
            Deviation::IgnoreAnyPGrant => "add-user-to-any-p-room never authorises an invite",
            Deviation::IgnoreRoomRoles => {
                "only global roles count for add-user-to-joined-room; owner/moderator room roles are ignored"
            }
            Deviation::PermissionBeforeInvitees => {
                "error-not-allowed is reported before invitee errors (users-params-not-provided, empty list)"
            }
            Deviation::NotAllowedAs403 => {
                "error-not-allowed from the invite endpoints comes with status 403"
            }
            Deviation::UnswappedEmptyList => {
                "channels.invite reports an unresolvable invitee list as error-empty-invite-list instead of the swapped fields"
            }
            Deviation::RoomParamErrorOnChannels => {
                "channels.invite without roomId/roomName answers error-room-param-not-provided instead of error-room-not-found"
            }
            Deviation::WrongRoomKey => {
                "the invite success body uses the key `room` instead of `channel`/`group`"
            }
            Deviation::MsgsAsString => "room objects serialise `msgs` as a string",
            Deviation::NoSubscription => "invites answer 200 but the invitee gets no subscription",
            Deviation::DuplicateSubscription => {
                "inviting an existing member subscribes them again (usersCount+1, listed twice)"
            }
            Deviation::UsersCountNotUpdated => "invites do not increment the room's usersCount",
            Deviation::UnauthenticatedAs400 => {
                "missing or invalid credentials are answered with 400 instead of 401"
            }
            Deviation::AcceptDeactivatedToken => {
                "deactivating a user does not revoke their login tokens"
            }
            Deviation::BulkFirstOnly => "a bulk invite adds only the first resolved user",
            Deviation::UnknownInviteeFails => {
                "an unknown invitee fails the invite with error-user-not-found instead of being dropped silently"
            }
            Deviation::ArchivedChannelAccepted => "channels.invite accepts archived channels",
            Deviation::DirectRoomAccepted => {
                "channels.invite accepts a direct-message room and adds the user"
            }
            Deviation::GroupsArchivedRejected => {
                "groups.invite refuses archived groups with error-room-archived"
            }
            Deviation::IncidentalAnswers => {
                "the invite endpoints refuse input outside the documented contract (a mistyped parameter, a body that is not a JSON object) with 400 error-invalid-params \"Invalid request: …\" instead of the line's incidental answer"
            }
            Deviation::NotAllowedErrorType => {
                "the invite permission refusal keeps status 400 and details but says error-action-not-allowed (\"Not allowed [error-action-not-allowed]\")"
            }
            Deviation::BannedUserAdded => {
                "the invite skips the ban check: a banned user is added (200, usersCount+1, an au message) instead of error-user-is-banned"
            }
            Deviation::KickedUserNotReinvitable => {
                "kicks and leaves soft-delete the subscription: inviting a user who was kicked or left answers 200 but adds nobody (no subscription, usersCount and msgs unchanged)"
            }
            Deviation::ConcurrentInvitesDuplicate => {
                "the invite checks membership and inserts in separate critical sections: concurrent invites of one user each insert a subscription"
            }
            Deviation::NoAddedUserMessage => {
                "invites record no au / added-user-to-team message and leave msgs unchanged"
            }
            Deviation::TeamMainRoomRefused => {
                "invites into a team's main room are refused with error-not-allowed"
            }
        }
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Deviation {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Deviation::every()
            .find(|deviation| deviation.name() == wanted)
            .ok_or_else(|| ReferenceError::UnknownDeviation {
                name: wanted.to_owned(),
                valid: Deviation::every()
                    .map(|deviation| deviation.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_deviation() {
        for deviation in &Deviation::every().collect::<Vec<_>>() {
            assert_eq!(deviation.name().parse::<Deviation>().ok(), Some(*deviation));
            assert!(!deviation.description().is_empty());
        }
    }

    #[test]
    fn unknown_name_lists_the_valid_ones() {
        let error = "no-such-thing"
            .parse::<Deviation>()
            .err()
            .map(|e| e.to_string());
        let message = error.unwrap_or_default();
        assert!(message.contains("no-such-thing"));
        assert!(message.contains("wrong-room-key"));
    }

    #[test]
    fn names_are_unique() {
        let names: std::collections::BTreeSet<_> = Deviation::every().map(|d| d.name()).collect();
        assert_eq!(
            names.len(),
            Deviation::ALL.len() + Deviation::AWAITING_CASES.len()
        );
    }
}
