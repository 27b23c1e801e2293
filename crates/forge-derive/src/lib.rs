//! `#[derive(Fields)]`: one struct declaration gives a kind's schema and
//! typed access to its attributes (see `forge_core::fields`).
//!
//! ```ignore
//! #[derive(Fields)]
//! struct Vpc {
//!     /// The IPv4 CIDR block.
//!     #[field(force_new)]
//!     cidr_block: String,
//!     /// Whether instances get DNS hostnames.
//!     #[field(default = false)]
//!     enable_dns_hostnames: Option<bool>,
//!     tags: Tags,
//!     /// The VPC's ARN.
//!     #[field(computed)]
//!     arn: Option<String>,
//! }
//! ```
//!
//! Settings in `#[field(...)]`: `computed`, `optional_computed`,
//! `force_new`, `sensitive`, `local` (a forge-only setting), `default = <expr>` (anything `Into<Value>`),
//! `normalize = <fn(&Value) -> Value>` (applied to known values),
//! `name = "..."` (the attribute's name when it differs from the Rust
//! field's; `r#type` is `type` already). A field typed `Computed<T>` (an
//! alias of `Option<T>` in scope where the struct is declared) is
//! `computed` without saying so. The doc comment is the field's
//! one-line description: every field must have one. A type that
//! documents itself (`Tags`) keeps its own description in every kind.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Data, DeriveInput, Expr, Fields as SynFields, LitStr, parse_macro_input};

/// Derives `forge_core::fields::Fields` and `FieldValue` (as an object).
#[proc_macro_derive(Fields, attributes(field))]
pub fn derive_fields(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

/// What `#[field(...)]` and the doc comment say about one field.
struct FieldSpec {
    ident: syn::Ident,
    ty: syn::Type,
    name: String,
    mode: Option<Tokens>,
    force_new: bool,
    sensitive: bool,
    local: bool,
    default: Option<Expr>,
    normalize: Option<syn::Path>,
    doc: String,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            input,
            "Fields derives only on structs",
        ));
    };
    let SynFields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "Fields needs named fields"));
    };
    let specs = named
        .named
        .iter()
        .map(field_spec)
        .collect::<syn::Result<Vec<_>>>()?;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let core = quote!(::forge_core::fields);

    let schemas = specs.iter().map(|s| {
        let (name, ty, doc) = (&s.name, &s.ty, &s.doc);
        let mode = match &s.mode {
            Some(m) => quote!(::core::option::Option::Some(::forge_core::FieldMode::#m)),
            None => quote!(::core::option::Option::None),
        };
        let force_new = s
            .force_new
            .then(|| quote!(let schema = schema.force_new();));
        let sensitive = s
            .sensitive
            .then(|| quote!(let schema = schema.sensitive();));
        let local = s.local.then(|| quote!(let schema = schema.local();));
        let default = s
            .default
            .as_ref()
            .map(|d| quote!(let schema = schema.default(#d);));
        quote! {
            {
                let schema = #core::field_schema::<#ty>(#mode, #doc);
                #force_new
                #sensitive
                #local
                #default
                fields.insert(::std::string::String::from(#name), schema);
            }
        }
    });
    let reads = specs.iter().map(|s| {
        let (field, name, ty) = (&s.ident, &s.name, &s.ty);
        quote!(#field: #core::read_field::<#ty>(attrs, #name)?)
    });
    let writes = specs.iter().map(|s| {
        let (field, name) = (&s.ident, &s.name);
        quote! {
            attrs.insert(
                ::std::string::String::from(#name),
                #core::FieldValue::to_value(&self.#field),
            );
        }
    });

    let normalizers = specs.iter().filter_map(|s| {
        let (name, f) = (&s.name, s.normalize.as_ref()?);
        Some(quote!(#core::normalize_field(attrs, #name, #f);))
    });

    Ok(quote! {
        impl #impl_generics #core::Fields for #ident #ty_generics #where_clause {
            fn field_schemas() -> #core::IndexMap<::std::string::String, ::forge_core::FieldSchema> {
                let mut fields = #core::IndexMap::new();
                #(#schemas)*
                fields
            }

            fn from_attrs(attrs: &::forge_core::Attrs) -> ::core::result::Result<Self, #core::FieldError> {
                ::core::result::Result::Ok(Self { #(#reads,)* })
            }

            fn to_attrs(&self) -> ::forge_core::Attrs {
                let mut attrs = ::forge_core::Attrs::new();
                #(#writes)*
                attrs
            }

            fn normalize_attrs(attrs: &mut ::forge_core::Attrs) {
                let _ = &attrs;
                #(#normalizers)*
            }
        }

        impl #impl_generics #core::FieldValue for #ident #ty_generics #where_clause {
            fn field_type() -> ::forge_core::FieldType {
                ::forge_core::FieldType::Object(<Self as #core::Fields>::field_schemas())
            }

            fn from_value(value: &::forge_core::Value) -> ::core::result::Result<Self, #core::FieldError> {
                match value.as_map() {
                    ::core::option::Option::Some(map) => <Self as #core::Fields>::from_attrs(map),
                    ::core::option::Option::None => ::core::result::Result::Err(
                        #core::FieldError::mismatch("object", value),
                    ),
                }
            }

            fn to_value(&self) -> ::forge_core::Value {
                ::forge_core::Value::Map(<Self as #core::Fields>::to_attrs(self))
            }
        }
    })
}

fn field_spec(field: &syn::Field) -> syn::Result<FieldSpec> {
    let Some(ident) = field.ident.clone() else {
        return Err(syn::Error::new_spanned(field, "Fields needs named fields"));
    };
    let raw = ident.to_string();
    let mut spec = FieldSpec {
        name: raw.strip_prefix("r#").unwrap_or(&raw).to_string(),
        ident,
        ty: field.ty.clone(),
        mode: None,
        force_new: false,
        sensitive: false,
        local: false,
        default: None,
        normalize: None,
        doc: doc_text(&field.attrs),
    };
    if is_computed_type(&field.ty) {
        spec.mode = Some(quote!(Computed));
    }
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            match key.as_str() {
                "computed" => spec.mode = Some(quote!(Computed)),
                "optional_computed" => spec.mode = Some(quote!(OptionalComputed)),
                "required" => spec.mode = Some(quote!(Required)),
                "force_new" => spec.force_new = true,
                "sensitive" => spec.sensitive = true,
                "local" => spec.local = true,
                "default" => spec.default = Some(meta.value()?.parse()?),
                "normalize" => spec.normalize = Some(meta.value()?.parse()?),
                "name" => spec.name = meta.value()?.parse::<LitStr>()?.value(),
                _ => {
                    return Err(meta.error(
                        "unknown field setting; expected computed, optional_computed, \
                         required, force_new, sensitive, local, default = <expr>, normalize = <fn path> or name = \"...\"",
                    ));
                }
            }
            Ok(())
        })?;
    }
    Ok(spec)
}

/// Whether a field's type is spelled `Computed<T>`: the read-only fields
/// the cloud fills, declared by their type instead of an attribute line.
fn is_computed_type(ty: &syn::Type) -> bool {
    match ty {
        // A type passed through a `macro_rules!` `$t:ty` arrives grouped.
        syn::Type::Group(g) => is_computed_type(&g.elem),
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Computed" && !s.arguments.is_empty()),
        _ => false,
    }
}

/// The doc comment as one line (its lines joined with spaces).
fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}
