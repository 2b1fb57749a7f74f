//! Black-box tests of the room-side provisioning endpoints of the reference server
//! (Rocket.Chat's routes; room roles: `apps/meteor/server/services/authorization/service.ts`
//! @028925b2; groups.* behind `findPrivateGroupByIdOrName` of
//! `apps/meteor/app/api/server/v1/groups.ts` @acf7dd00): channels/groups create, delete, archive,
//! setReadOnly, info, members, the room-role endpoints, and im.create.

mod create_info;
mod lifecycle;
mod members;
mod room_roles;

use crate::reference_support::scenarios::expect_invited;
use crate::reference_support::{
    Harness, Room, RoomKind, assert_error_type, assert_not_allowed, assert_room_not_found, sorted,
};
use serde_json::json;

const KINDS: [RoomKind; 2] = [RoomKind::Channel, RoomKind::Group];
