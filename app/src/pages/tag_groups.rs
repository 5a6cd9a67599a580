//! Tag groups: how torrents' client tags are grouped into charts. A group and its tags are
//! edited together; saving replaces the group's tag list.

use crate::api::tags::{list_tag_groups, DeleteTagGroup, SaveTagGroup, TagGroupConfig, TagGroupInput, TagGroupView, TagMember};
use crate::components::forms::{optional, ConfirmDelete};
use crate::components::list_page::{AddOrEdit, EditCard, ListLoader, ListPage};
use crate::components::{form_error, CheckField, ErrorNotice, SelectField, SuccessNotice, TextField};
use crate::validate::{parse_int, Invalid};
use leptos::prelude::*;

const CHART_OPTIONS: [(&str, &str); 3] = [("bar", "Bar chart"), ("pie", "Pie chart"), ("line", "Line chart")];

#[component]
pub fn TagGroupsPage() -> impl IntoView {
    let page = ListPage::<TagGroupView>::new();
    let delete = ServerAction::<DeleteTagGroup>::new();
    let groups = Resource::new(move || (page.reload.get(), delete.version().get()), |_| list_tag_groups());
    let delete_error = page.on_deleted(delete.value(), "Tag group deleted.");
    let (on_saved, on_cancel) = (page.on_saved(|v: &TagGroupView| v.config.name.clone()), page.on_cancel());
    view! {
        <h1>"Tag groups"</h1>
        <p class="hint">"Group your torrent clients' tags into charts, e.g. a “Content” group with movies, tv and music."</p>
        <SuccessNotice message=page.flash/>
        <ErrorNotice error=delete_error/>
        <AddOrEdit page add_label="Add a tag group" form=move |initial| view! { <GroupForm initial on_saved on_cancel/> }/>
        <ListLoader list=groups empty="No tag groups yet."
            show=move |list| list.into_iter().map(|g| view! { <GroupCard g page delete/> }).collect_view()/>
    }
}

#[component]
fn GroupCard(g: TagGroupView, page: ListPage<TagGroupView>, delete: ServerAction<DeleteTagGroup>) -> impl IntoView {
    let id = g.id;
    let name = g.config.name.clone();
    let heading_id = format!("group-{id}-title");
    let labelled_by = heading_id.clone();
    let chart = CHART_OPTIONS.iter().find(|(k, _)| *k == g.config.chart_type).map(|(_, l)| *l).unwrap_or("Chart");
    let members = g
        .members
        .iter()
        .map(|(_, m)| {
            let style = format!("background: {}", m.color);
            view! {
                <li>
                    <span class="swatch" style=style aria-hidden="true"></span> " "
                    <code>{m.tag.clone()}</code>
                    {m.label.clone().map(|l| view! { " — " {l} })}
                </li>
            }
        })
        .collect_view();
    let for_edit = g.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading_id>{g.config.emoji.clone().map(|e| format!("{e} ")).unwrap_or_default()}{g.config.name.clone()}</h2>
            <p class="hint">
                {chart} " · " {format!("{} tag(s)", g.members.len())}
                {g.config.count_unmatched.then_some(" · counts untagged torrents as “other”")}
            </p>
            {g.config.description.clone().map(|d| view! { <p>{d}</p> })}
            <ul class="tag-list">{members}</ul>
            <div class="actions">
                <button class="btn btn-small" type="button" aria-label=format!("Edit {name}")
                    on:click=move |_| page.open(Some(for_edit.clone()))>"Edit"</button>
                <ConfirmDelete what=name.clone() detail="Its tag list is deleted too."
                    on_confirm=Callback::new(move |()| { page.flash.set(None); delete.dispatch(DeleteTagGroup { id }); })/>
            </div>
        </section>
    }
}

/// One tag being edited.
#[derive(Clone, Copy)]
struct MemberRow {
    key: u32,
    tag: RwSignal<String>,
    label: RwSignal<String>,
    color: RwSignal<String>,
}

impl MemberRow {
    fn new(key: u32, m: Option<&TagMember>) -> Self {
        MemberRow {
            key,
            tag: RwSignal::new(m.map(|m| m.tag.clone()).unwrap_or_default()),
            label: RwSignal::new(m.and_then(|m| m.label.clone()).unwrap_or_default()),
            color: RwSignal::new(m.map(|m| m.color.clone()).unwrap_or_else(|| "#64748b".into())),
        }
    }
}

#[component]
fn GroupForm(initial: Option<TagGroupView>, on_saved: Callback<TagGroupView>, on_cancel: Callback<()>) -> impl IntoView {
    let id = initial.as_ref().map(|g| g.id);
    let config = initial.as_ref().map(|g| g.config.clone()).unwrap_or(TagGroupConfig {
        name: String::new(),
        emoji: None,
        chart_type: "bar".into(),
        description: None,
        sort_order: 0,
        count_unmatched: false,
    });
    let name = RwSignal::new(config.name.clone());
    let emoji = RwSignal::new(config.emoji.clone().unwrap_or_default());
    let chart_type = RwSignal::new(config.chart_type.clone());
    let description = RwSignal::new(config.description.clone().unwrap_or_default());
    let sort_order = RwSignal::new(config.sort_order.to_string());
    let count_unmatched = RwSignal::new(config.count_unmatched);
    let next_key = StoredValue::new(0u32);
    let new_key = move || {
        let k = next_key.get_value();
        next_key.set_value(k + 1);
        k
    };
    let rows = RwSignal::new(
        initial.as_ref().map(|g| g.members.iter().map(|(_, m)| MemberRow::new(new_key(), Some(m))).collect::<Vec<_>>()).unwrap_or_default(),
    );

    let save = ServerAction::<SaveTagGroup>::new();
    let (local, error) = form_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            on_saved.run(v);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let parsed = (|| -> Result<TagGroupInput, Invalid> {
            let members = rows
                .get()
                .iter()
                .enumerate()
                .map(|(i, r)| TagMember { tag: r.tag.get(), label: optional(r.label.get()), color: r.color.get(), sort_order: i as i64 })
                .collect();
            let input = TagGroupInput {
                id,
                config: TagGroupConfig {
                    name: name.get(),
                    emoji: optional(emoji.get()),
                    chart_type: chart_type.get(),
                    description: optional(description.get()),
                    sort_order: parse_int("sort_order", "Sort order", &sort_order.get())?,
                    count_unmatched: count_unmatched.get(),
                },
                members,
            };
            input.validate()
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveTagGroup { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };
    let move_row = move |key: u32, delta: isize| {
        rows.update(|rs| {
            if let Some(i) = rs.iter().position(|r| r.key == key) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < rs.len() {
                    rs.swap(i, j as usize);
                }
            }
        })
    };
    let title = if initial.is_some() { format!("Edit “{}”", config.name) } else { "New tag group".to_string() };
    view! {
        <EditCard id="group" title on_submit=submit pending=save.pending() save_label="Save tag group" on_cancel error>
                {view! { <div class="form-grid">
                    <TextField id="group-name" label="Name" value=name required=true placeholder="Content"/>
                    <TextField id="group-emoji" label="Emoji (optional)" value=emoji placeholder="🎬"/>
                    <SelectField id="group-chart" label="Chart type" value=chart_type options=CHART_OPTIONS.to_vec()/>
                    <TextField id="group-sort" label="Sort order" kind="number" value=sort_order hint="Lower numbers come first."/>
                </div> }.into_any()}
                <TextField id="group-description" label="Description (optional)" value=description/>
                <CheckField id="group-unmatched" label="Count torrents without any of these tags as “other”" value=count_unmatched/>
                {view! { <fieldset class="members">
                    <legend>"Tags"</legend>
                    <For each=move || rows.get() key=|r| r.key children=move |r: MemberRow| {
                        let key = r.key;
                        let position = move || rows.with(|rs| rs.iter().position(|x| x.key == key).map(|i| i + 1).unwrap_or(0));
                        let swatch = move || format!("background: {}", r.color.get());
                        view! {
                            <div class="member-row" role="group" aria-label=move || format!("Tag {}", position())>
                                <TextField id=format!("member-{key}-tag") label="Tag" value=r.tag required=true/>
                                <TextField id=format!("member-{key}-label") label="Label (optional)" value=r.label/>
                                <div class="color-field">
                                    <TextField id=format!("member-{key}-color") label="Colour" value=r.color placeholder="#64748b"/>
                                    <span class="swatch" style=swatch aria-hidden="true"></span>
                                </div>
                                <div class="actions">
                                    <button class="btn btn-small" type="button" aria-label=move || format!("Move tag {} up", position()) on:click=move |_| move_row(key, -1)>"↑"</button>
                                    <button class="btn btn-small" type="button" aria-label=move || format!("Move tag {} down", position()) on:click=move |_| move_row(key, 1)>"↓"</button>
                                    <button class="btn btn-small" type="button" aria-label=move || format!("Remove tag {}", position())
                                        on:click=move |_| rows.update(|rs| rs.retain(|x| x.key != key))>"Remove"</button>
                                </div>
                            </div>
                        }
                    }/>
                    <button class="btn btn-small" type="button" on:click=move |_| { let k = new_key(); rows.update(|rs| rs.push(MemberRow::new(k, None))); }>"Add a tag"</button>
                </fieldset> }.into_any()}
        </EditCard>
    }
    .into_any()
}
