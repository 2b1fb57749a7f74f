//! The two route families that serve rooms with the same operations: `channels.*` (public
//! channels, `t: "c"`) and `groups.*` (private groups, `t: "p"`).
//!
//! Owns every difference between a `channels.X` route and its `groups.X` twin, as data: the
//! route prefix and the key of the room in success bodies, the words of their error texts
//! ("channel" / "private group"), how each finds its room (`findChannelByIdOrName` versus
//! `findPrivateGroupByIdOrName`, whose access rule answers "not found" for a group the caller
//! cannot see), and the per-operation quirks listed on [`Spec`]. Handlers are written once
//! against a [`Family`] bound at routing time. It must not hold behaviour of its own.

use serde_json::json;

use super::envelope::{ApiError, Envelope};
use super::lookup;
use super::model::{Room, RoomKind};
use super::request::Params;
use super::store::Store;

/// A route family: which twin of a room route is being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `channels.*`.
    Channels,
    /// `groups.*`.
    Groups,
}

/// How `setReadOnly` reads its `readOnly` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadOnlyParam {
    /// `isChannelsSetReadOnlyProps`: ajv-validated and coerced; only `true` sets the flag.
    Validated,
    /// A bare presence check ("The bodyParam \"readOnly\" is required"), then truthiness.
    Truthy,
}

/// Everything that differs between the twins of one family.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Route prefix: `channels` / `groups`.
    pub(crate) prefix: &'static str,
    /// Key of the room object in success bodies: `channel` / `group`.
    pub(crate) key: &'static str,
    /// The room type the family serves.
    pub(crate) kind: RoomKind,
    /// The room as human-readable errors name it: "channel" / "private group".
    pub(crate) noun: &'static str,
    /// How `create` names a body parameter in its messages: "Param" / "Body param".
    pub(crate) create_param_label: &'static str,
    /// The global permission `create` needs: `create-c` / `create-p`.
    pub(crate) create_permission: &'static str,
    /// channels.create checks the permission before the parameters and answers 403
    /// (`createChannelValidator`); groups.create checks it after them, inside the method.
    pub(crate) create_permission_first: bool,
    /// groups.members refuses an archived group; channels.members does not look.
    pub(crate) members_refuses_archived: bool,
    /// channels.unarchive refuses a channel that is not archived; groups.unarchive does not.
    pub(crate) unarchive_requires_archived: bool,
    /// How `setReadOnly` reads `readOnly`.
    pub(crate) read_only_param: ReadOnlyParam,
}

const CHANNELS: Spec = Spec {
    prefix: "channels",
    key: "channel",
    kind: RoomKind::Channel,
    noun: "channel",
    create_param_label: "Param",
    create_permission: "create-c",
    create_permission_first: true,
    members_refuses_archived: false,
    unarchive_requires_archived: true,
    read_only_param: ReadOnlyParam::Validated,
};

const GROUPS: Spec = Spec {
    prefix: "groups",
    key: "group",
    kind: RoomKind::Group,
    noun: "private group",
    create_param_label: "Body param",
    create_permission: "create-p",
    create_permission_first: false,
    members_refuses_archived: true,
    unarchive_requires_archived: false,
    read_only_param: ReadOnlyParam::Truthy,
};

impl Family {
    /// Both families, channels first.
    pub(crate) const ALL: [Family; 2] = [Family::Channels, Family::Groups];

    /// The family's data.
    pub(crate) fn spec(self) -> &'static Spec {
        match self {
            Family::Channels => &CHANNELS,
            Family::Groups => &GROUPS,
        }
    }

    /// The route's room: `findChannelByIdOrName` (no access check; an archived channel is
    /// refused when asked) or `findPrivateGroupByIdOrName` (a group the caller cannot access
    /// is "not found"; an archived one is refused when asked).
    pub(crate) fn find_room(
        self,
        store: &Store,
        params: &Params,
        caller_id: &str,
        refuse_archived: bool,
    ) -> Result<Room, ApiError> {
        match self {
            Family::Channels => lookup::find_channel(store, params, refuse_archived),
            Family::Groups => lookup::find_group(store, params, caller_id, refuse_archived),
        }
    }

    /// `error-room-not-found` in the family's words.
    pub(crate) fn not_found(self) -> ApiError {
        match self {
            Family::Channels => lookup::channel_not_found(),
            Family::Groups => lookup::group_not_found(),
        }
    }

    /// The refusal of `create` without `create-c` / `create-p`: the validator's bare 403 for
    /// channels, the method's Meteor error for groups.
    pub(crate) fn create_refused(self, envelope: Envelope) -> ApiError {
        match self {
            Family::Channels => ApiError::forbidden(envelope),
            Family::Groups => ApiError::meteor("error-not-allowed", "Not allowed")
                .with_details(json!({"method": "createPrivateGroup"})),
        }
    }
}
