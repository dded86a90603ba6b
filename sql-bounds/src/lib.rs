//! `#[sql_bounds]` on an `impl<DB: ...>` block adds to its `where` clause what sqlx needs of the
//! engine `DB` to run the server's statements: executing on a connection, binding and reading
//! the column types they use. Every part that keeps tables in the server's database (messages,
//! people, the desk, the bridge) implements its trait once over either engine's `SqlStore<DB>`,
//! and Rust does not carry such bounds from a trait to its users (they are not about `DB`
//! itself, but about `i64`, `String` and `&mut DB::Connection`), so without this attribute each
//! of those impls would list them again.

use proc_macro::TokenStream;
use proc_macro2::Ident;
use syn::{GenericParam, ItemImpl, WherePredicate, parse_macro_input, parse_quote};

#[proc_macro_attribute]
pub fn sql_bounds(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let error = syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[sql_bounds] takes no arguments",
        );
        return error.to_compile_error().into();
    }
    let item = parse_macro_input!(item as ItemImpl);
    match bounded(item) {
        Ok(item) => quote::quote!(#item).into(),
        Err(error) => error.to_compile_error().into(),
    }
}

/// `item` with the engine's bounds added for its one type parameter.
fn bounded(mut item: ItemImpl) -> syn::Result<ItemImpl> {
    let engine = engine(&item)?;
    item.generics
        .make_where_clause()
        .predicates
        .extend(bounds(&engine));
    Ok(item)
}

/// The impl's one type parameter: the engine.
fn engine(item: &ItemImpl) -> syn::Result<Ident> {
    let mut types = item.generics.params.iter().filter_map(|param| match param {
        GenericParam::Type(param) => Some(param.ident.clone()),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(engine), None) => Ok(engine),
        _ => Err(syn::Error::new_spanned(
            &item.generics,
            "#[sql_bounds] needs an impl with exactly one type parameter, the engine",
        )),
    }
}

/// What sqlx needs of `db`: its connections execute statements whose arguments it binds, and it
/// binds and reads the integers, texts and bytes the statements use, each also as NULL.
fn bounds(db: &Ident) -> Vec<WherePredicate> {
    vec![
        parse_quote!(for<'c> &'c mut #db::Connection: ::sqlx::Executor<'c, Database = #db>),
        parse_quote!(for<'q> #db::Arguments<'q>: ::sqlx::IntoArguments<'q, #db>),
        parse_quote!(for<'q> i64: ::sqlx::Encode<'q, #db> + ::sqlx::Decode<'q, #db> + ::sqlx::Type<#db>),
        parse_quote!(for<'q> String: ::sqlx::Encode<'q, #db> + ::sqlx::Decode<'q, #db> + ::sqlx::Type<#db>),
        parse_quote!(for<'q> Vec<u8>: ::sqlx::Encode<'q, #db> + ::sqlx::Decode<'q, #db> + ::sqlx::Type<#db>),
        parse_quote!(for<'q> &'q str: ::sqlx::Encode<'q, #db> + ::sqlx::Type<#db> + ::sqlx::ColumnIndex<#db::Row>),
        parse_quote!(for<'q> Option<i64>: ::sqlx::Encode<'q, #db>),
        parse_quote!(for<'q> Option<String>: ::sqlx::Encode<'q, #db>),
        parse_quote!(for<'q> Option<&'q str>: ::sqlx::Encode<'q, #db>),
        parse_quote!(for<'q> Option<Vec<u8>>: ::sqlx::Encode<'q, #db>),
        parse_quote!(usize: ::sqlx::ColumnIndex<#db::Row>),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn where_clause(item: &ItemImpl) -> String {
        item.generics
            .where_clause
            .to_token_stream()
            .to_string()
            .replace(' ', "")
    }

    #[test]
    fn the_bounds_name_the_impls_own_engine_after_its_own() {
        let item: ItemImpl = parse_quote! {
            impl<E: Dialect> Store for SqlStore<E> where E: Send {}
        };
        let bounded = where_clause(&bounded(item).unwrap());
        assert!(bounded.starts_with("whereE:Send,"), "{bounded}");
        assert!(
            bounded.contains("for<'c>&'cmutE::Connection:::sqlx::Executor<'c,Database=E>"),
            "{bounded}"
        );
        assert!(
            bounded.ends_with("usize:::sqlx::ColumnIndex<E::Row>"),
            "{bounded}"
        );
        assert_eq!(bounded.matches("E::Row").count(), 2);
    }

    #[test]
    fn an_impl_without_one_engine_is_refused() {
        for item in [
            parse_quote!(impl Store for SqliteStore {}),
            parse_quote!(
                impl<A, B> Store for Pair<A, B> {}
            ),
        ] {
            let Err(error) = bounded(item) else {
                panic!("an impl without one engine was bounded")
            };
            let error = error.to_string();
            assert!(error.contains("exactly one type parameter"), "{error}");
        }
    }
}
